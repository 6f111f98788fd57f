// The sim's coordination.k8s.io/v1 Leases through the operator's Lease I/O and elector (also run
// on the real control plane by test/real/api-conformance-leases.test.ts).
import { simApiTarget } from '../support/api-target.js';
import { leasesSuite } from '../support/conformance/leases.js';

leasesSuite(() => simApiTarget());
