// The watch conformance suite of test/integration/sim-api-watch.test.ts, on the real control plane
// (a fresh namespace per test): where the two answers differ, this one is right (docs/sim.md).
import { realTarget } from '../support/api-target.js';
import { watchSuite } from '../support/conformance/watch.js';
import { realKubeconfig } from './support.js';

watchSuite(() => realTarget(realKubeconfig()));
