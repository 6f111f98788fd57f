// Restart and delete executors on the real control plane: the suite of
// test/integration/activities-restart.test.ts (where the two answers differ, this one is right).
import { realActivityTarget } from '../support/activities-target.js';
import { activitiesRestartSuite } from '../support/conformance/activities-restart.js';
import { realKubeconfig } from './support.js';

activitiesRestartSuite(() => realActivityTarget(realKubeconfig()));
