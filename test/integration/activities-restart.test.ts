// Restart and delete executors against the simulated cluster, reached only over HTTP: the suite of
// test/support/conformance/activities-restart.ts, also run on the real control plane by
// test/real/api-conformance-activities-restart.test.ts.
import { simActivityTarget } from '../support/activities-target.js';
import { activitiesRestartSuite } from '../support/conformance/activities-restart.js';

activitiesRestartSuite(simActivityTarget);
