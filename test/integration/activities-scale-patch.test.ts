// Scale and patch executors against the simulated cluster, reached only over HTTP: the suite of
// test/support/conformance/activities-scale-patch.ts, also run on the real control plane by
// test/real/api-conformance-activities-scale-patch.test.ts.
import { simActivityTarget } from '../support/activities-target.js';
import { activitiesScalePatchSuite } from '../support/conformance/activities-scale-patch.js';

activitiesScalePatchSuite(simActivityTarget);
