// Desired replica count of a scale action, clamped to [minReplicas, maxReplicas]. A scale that would
// change nothing is a refusal, not a no-op action: it must not spend the hourly budget.

export interface ScaleInput {
  direction: 'up' | 'down' | 'absolute';
  replicas: number;
  minReplicas: number;
  maxReplicas: number;
  current: number;
}

export type ScaleVerdict =
  | { ok: true; from: number; to: number }
  | { ok: false; reason: 'AtMaxReplicas' | 'AtMinReplicas' | 'AtDesiredReplicas'; message: string };

export function desiredReplicas(input: ScaleInput): ScaleVerdict {
  const { direction, replicas, minReplicas, maxReplicas, current } = input;
  const clamp = (n: number): number => Math.min(maxReplicas, Math.max(minReplicas, n));
  let to: number;
  if (direction === 'up') {
    // Scaling up never lowers the count, even when a person already scaled above maxReplicas.
    to = Math.max(current, Math.min(maxReplicas, current + replicas));
    if (to === current) {
      return {
        ok: false,
        reason: 'AtMaxReplicas',
        message: `already at ${current} replicas; scale up is capped at maxReplicas ${maxReplicas}`,
      };
    }
  } else if (direction === 'down') {
    to = Math.min(current, Math.max(minReplicas, current - replicas));
    if (to === current) {
      return {
        ok: false,
        reason: 'AtMinReplicas',
        message: `already at ${current} replicas; scale down stops at minReplicas ${minReplicas}`,
      };
    }
  } else {
    to = clamp(replicas);
    if (to === current) {
      return {
        ok: false,
        reason: 'AtDesiredReplicas',
        message: `already at ${current} replicas (asked for ${replicas}, within ${minReplicas}..${maxReplicas})`,
      };
    }
  }
  return { ok: true, from: current, to };
}
