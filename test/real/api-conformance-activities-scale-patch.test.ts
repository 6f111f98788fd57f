// Scale and patch executors on the real control plane: the suite of
// test/integration/activities-scale-patch.test.ts (where the two answers differ, this one is right).
import { realActivityTarget } from '../support/activities-target.js';
import { activitiesScalePatchSuite } from '../support/conformance/activities-scale-patch.js';
import { realKubeconfig } from './support.js';

activitiesScalePatchSuite(() => realActivityTarget(realKubeconfig()));
