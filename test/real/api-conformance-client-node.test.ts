// The API conformance suite of test/integration/sim-api-client-node.test.ts, on the real control
// plane: where the two answers differ, this one is right (docs/sim.md lists what the sim omits).
import { realTarget } from '../support/api-target.js';
import { clientNodeSuite } from '../support/conformance/client-node.js';
import { realKubeconfig } from './support.js';

clientNodeSuite(() => realTarget(realKubeconfig()));
