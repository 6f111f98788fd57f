// The kubectl conformance suite of test/integration/sim-api-kubectl.test.ts, on the real control
// plane: where the two answers differ, this one is right (docs/sim.md lists what the sim omits).
import { describe } from 'vitest';
import { realTarget } from '../support/api-target.js';
import { hasKubectl, kubectlSuite } from '../support/conformance/kubectl.js';
import { realKubeconfig } from './support.js';

describe.skipIf(!hasKubectl)('kubectl against the real API server', () =>
  kubectlSuite(() => realTarget(realKubeconfig())),
);
