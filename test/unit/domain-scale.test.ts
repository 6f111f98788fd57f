import { describe, expect, it } from 'vitest';
import { desiredReplicas, type ScaleInput } from '../../domain/scale.js';

const base = { minReplicas: 1, maxReplicas: 6 };
describe('desiredReplicas', () => {
  it.each<[string, Omit<ScaleInput, 'minReplicas' | 'maxReplicas'>, number | string]>([
    ['up by 2', { direction: 'up', replicas: 2, current: 2 }, 4],
    ['up clamps at max', { direction: 'up', replicas: 5, current: 4 }, 6],
    ['up at max is refused', { direction: 'up', replicas: 2, current: 6 }, 'AtMaxReplicas'],
    ['up above max never scales down', { direction: 'up', replicas: 2, current: 8 }, 'AtMaxReplicas'],
    ['up by 0 is refused', { direction: 'up', replicas: 0, current: 3 }, 'AtMaxReplicas'],
    ['down by 1', { direction: 'down', replicas: 1, current: 3 }, 2],
    ['down clamps at min', { direction: 'down', replicas: 5, current: 3 }, 1],
    ['down at min is refused', { direction: 'down', replicas: 1, current: 1 }, 'AtMinReplicas'],
    ['down below min never scales up', { direction: 'down', replicas: 1, current: 0 }, 'AtMinReplicas'],
    ['absolute', { direction: 'absolute', replicas: 5, current: 2 }, 5],
    ['absolute clamps to max', { direction: 'absolute', replicas: 9, current: 2 }, 6],
    ['absolute clamps to min', { direction: 'absolute', replicas: 0, current: 3 }, 1],
    ['absolute no-op is refused', { direction: 'absolute', replicas: 3, current: 3 }, 'AtDesiredReplicas'],
  ])('%s', (_name, input, want) => {
    const verdict = desiredReplicas({ ...base, ...input });
    if (typeof want === 'number') expect(verdict).toEqual({ ok: true, from: input.current, to: want });
    else {
      expect(verdict.ok).toBe(false);
      if (!verdict.ok) {
        expect(verdict.reason).toBe(want);
        expect(verdict.message).toMatch(/\d/);
      }
    }
  });
});
