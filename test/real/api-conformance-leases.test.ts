// The Leases conformance suite of test/integration/sim-api-leases.test.ts, on the real control
// plane: where the two answers differ, this one is right.
import { realTarget } from '../support/api-target.js';
import { leasesSuite } from '../support/conformance/leases.js';
import { realKubeconfig } from './support.js';

leasesSuite(() => realTarget(realKubeconfig()));
