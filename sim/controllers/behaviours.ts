// Workload behaviours, declared with `sim.kubeskippy.io/*` annotations on a pod (template), and the
// pure functions that turn them into usage, crashes and readiness. Everything here is a function of
// (behaviour, seconds since the container started), so the kubelet, the metrics source and the
// unit tests agree on every figure. docs/sim-behaviours.md is the user-facing description.
import {
  parseByteRate,
  parseBytes,
  parseDurationSeconds,
  parseFraction,
  parseMillicores,
} from './quantity.js';

export const BEHAVIOUR_PREFIX = 'sim.kubeskippy.io/';
export const BEHAVIOUR_KINDS = [
  'healthy',
  'memory-leak',
  'crashloop',
  'cpu-spike',
  'flaky-readiness',
] as const;
export type BehaviourKind = (typeof BEHAVIOUR_KINDS)[number];

const MiB = 2 ** 20;

export interface Behaviour {
  kinds: BehaviourKind[];
  memoryStartBytes: number;
  memoryLeakBytesPerSec: number;
  /** The container's memory limit; a leak is OOM-killed when it reaches it. */
  memoryLimitBytes?: number;
  crashAfterSec: number;
  exitCode: number;
  cpuBaseMillicores: number;
  cpuSpikeMillicores: number;
  /**
   * The whole workload's CPU during a spike (`cpu-load`), shared by its ready replicas; when set
   * it replaces cpuSpikeMillicores (see spikeMillicores).
   */
  cpuLoadMillicores?: number;
  /** The container's CPU limit: a share of the load above it is throttled to it. */
  cpuLimitMillicores?: number;
  spikeAfterSec: number;
  /** With a period the spike repeats: on for `duty` of each period, starting at spikeAfterSec. */
  spikePeriodSec?: number;
  spikeDuty: number;
  readyFailureRate: number;
  readyPeriodSec: number;
  /** Per-container hash in [0, 1) that varies figures a little between replicas, deterministically. */
  seed: number;
}

export interface ContainerLike {
  name: string;
  resources?: { limits?: Record<string, string | number>; requests?: Record<string, string | number> };
}

/** 32-bit FNV-1a: a stable, dependency-free hash for seeds and pod-template-hash. */
export function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/** A deterministic number in [0, 1) for (seed, n): the dice behind jitter and flaky readiness. */
export function unitHash(seed: number, n: number): number {
  // FNV-1a barely changes its high bits when only the last characters differ; murmur3's
  // finaliser spreads them so consecutive n give independent-looking dice.
  let h = fnv1a(`${seed}:${n}`);
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return ((h ^ (h >>> 16)) >>> 0) / 2 ** 32;
}

/**
 * Reads a container's behaviour. `sim.kubeskippy.io/<container>.<param>` overrides
 * `sim.kubeskippy.io/<param>`, so one annotation set covers single-container pods and sidecars
 * can still differ. `seedText` (pod name + container) spreads replicas a little apart.
 */
export function parseBehaviour(
  annotations: Record<string, string> | undefined,
  container: ContainerLike,
  seedText: string,
): Behaviour {
  const read = (param: string): string | undefined =>
    annotations?.[`${BEHAVIOUR_PREFIX}${container.name}.${param}`] ??
    annotations?.[`${BEHAVIOUR_PREFIX}${param}`];
  const kinds = (read('behavior') ?? read('behaviour') ?? 'healthy')
    .split(',')
    .map((k) => k.trim())
    .filter((k): k is BehaviourKind => (BEHAVIOUR_KINDS as readonly string[]).includes(k));
  const limits = container.resources?.limits ?? {};
  const cpuLimit = parseMillicores(limits['cpu']);
  const pattern = parsePattern(read('cpu-pattern'));
  const seed = unitHash(fnv1a(seedText), 0);
  // Jitter is symmetric around the declared value: ±jitter of it, fixed per container.
  const jitter = parseFraction(read('jitter')) ?? 0.08;
  const spread = (value: number, n: number): number =>
    value * (1 + jitter * (2 * unitHash(fnv1a(seedText), n) - 1));
  return {
    kinds: kinds.length > 0 ? kinds : ['healthy'],
    memoryStartBytes: spread(parseBytes(read('memory-start')) ?? 64 * MiB, 1),
    memoryLeakBytesPerSec: spread(parseByteRate(read('memory-leak-rate')) ?? 2 * MiB, 2),
    memoryLimitBytes: parseBytes(limits['memory']),
    crashAfterSec: parseDurationSeconds(read('crash-after')) ?? 10,
    exitCode: Number(read('exit-code') ?? 1),
    cpuBaseMillicores: parseMillicores(read('cpu-base')) ?? 25,
    cpuSpikeMillicores: parseMillicores(read('cpu-spike')) ?? (cpuLimit ? cpuLimit * 0.9 : 900),
    cpuLoadMillicores: parseMillicores(read('cpu-load')),
    cpuLimitMillicores: cpuLimit,
    spikeAfterSec: pattern.spikeAfterSec ?? 30,
    spikePeriodSec: pattern.periodSec,
    spikeDuty: pattern.duty ?? 0.5,
    readyFailureRate: parseFraction(read('ready-failure-rate')) ?? 0.3,
    readyPeriodSec: parseDurationSeconds(read('ready-period')) ?? 10,
    seed,
  };
}

/** "spike-after=30s,period=60s,duty=50%" → its parts; unknown keys are ignored. */
function parsePattern(text: string | undefined): {
  spikeAfterSec?: number;
  periodSec?: number;
  duty?: number;
} {
  const out: { spikeAfterSec?: number; periodSec?: number; duty?: number } = {};
  for (const part of (text ?? '').split(',')) {
    const [key, value] = part.split('=').map((s) => s.trim());
    if (key === 'spike-after') out.spikeAfterSec = parseDurationSeconds(value);
    if (key === 'period') out.periodSec = parseDurationSeconds(value);
    if (key === 'duty') out.duty = parseFraction(value);
  }
  return out;
}

const has = (b: Behaviour, kind: BehaviourKind): boolean => b.kinds.includes(kind);

/** Small, smooth wobble in [-amplitude, +amplitude], phase-shifted per container. */
function wobble(b: Behaviour, elapsedSec: number, periodSec: number, amplitude: number): number {
  return amplitude * Math.sin((2 * Math.PI * elapsedSec) / periodSec + b.seed * 2 * Math.PI);
}

/** Working-set bytes `elapsedSec` after the container started. */
export function memoryBytesAt(b: Behaviour, elapsedSec: number): number {
  const t = Math.max(0, elapsedSec);
  if (has(b, 'memory-leak')) {
    const grown = b.memoryStartBytes + b.memoryLeakBytesPerSec * t;
    return Math.round(b.memoryLimitBytes === undefined ? grown : Math.min(grown, b.memoryLimitBytes));
  }
  return Math.round(b.memoryStartBytes * (1 + wobble(b, t, 60, 0.02)));
}

/** Whether a CPU-spike pattern is in its high phase at `elapsedSec`. */
export function inCpuSpike(b: Behaviour, elapsedSec: number): boolean {
  if (!has(b, 'cpu-spike') || elapsedSec < b.spikeAfterSec) return false;
  if (b.spikePeriodSec === undefined || b.spikePeriodSec <= 0) return true;
  const phase = ((elapsedSec - b.spikeAfterSec) % b.spikePeriodSec) / b.spikePeriodSec;
  return phase < b.spikeDuty;
}

/**
 * CPU millicores of one replica in a spike. With `cpu-load` the workload's demand is spread across
 * its `readyReplicas` (as a Service spreads requests), and a share above the CPU limit is
 * throttled to it: cpu-load 900m with a 500m limit is 500m at 1 replica, 450m at 2, 300m at 3,
 * 225m at 4. Without `cpu-load` every replica runs at `cpu-spike` whatever their number.
 */
export function spikeMillicores(b: Behaviour, readyReplicas = 1): number {
  if (b.cpuLoadMillicores === undefined) return b.cpuSpikeMillicores;
  const share = b.cpuLoadMillicores / Math.max(1, readyReplicas);
  return b.cpuLimitMillicores === undefined ? share : Math.min(share, b.cpuLimitMillicores);
}

/**
 * CPU millicores `elapsedSec` after the container started; `readyReplicas` is how many replicas of
 * its workload are serving (only a `cpu-load` spike depends on it).
 */
export function cpuMillicoresAt(b: Behaviour, elapsedSec: number, readyReplicas = 1): number {
  const t = Math.max(0, elapsedSec);
  const level = inCpuSpike(b, t) ? spikeMillicores(b, readyReplicas) : b.cpuBaseMillicores;
  return Math.max(1, Math.round(level * (1 + wobble(b, t, 20, inCpuSpike(b, t) ? 0.03 : 0.1))));
}

export interface Termination {
  afterSec: number;
  reason: 'OOMKilled' | 'Error' | 'Completed';
  exitCode: number;
}

/** When (seconds after start) and how the container's process ends by itself, if it does. */
export function terminationOf(b: Behaviour): Termination | undefined {
  const candidates: Termination[] = [];
  if (has(b, 'crashloop')) {
    candidates.push({
      afterSec: b.crashAfterSec,
      reason: b.exitCode === 0 ? 'Completed' : 'Error',
      exitCode: b.exitCode,
    });
  }
  if (has(b, 'memory-leak') && b.memoryLimitBytes !== undefined && b.memoryLeakBytesPerSec > 0) {
    const afterSec = Math.max(0, (b.memoryLimitBytes - b.memoryStartBytes) / b.memoryLeakBytesPerSec);
    candidates.push({ afterSec, reason: 'OOMKilled', exitCode: 137 });
  }
  return candidates.sort((a, z) => a.afterSec - z.afterSec)[0];
}

/**
 * Readiness of a started container, given when its readiness delay ends. Flaky readiness splits
 * time after that into windows of readyPeriodSec; each window after the first fails with
 * probability readyFailureRate (a deterministic die per window).
 */
export function readyAt(b: Behaviour, elapsedSec: number, readyDelaySec: number): boolean {
  if (elapsedSec < readyDelaySec) return false;
  if (!has(b, 'flaky-readiness')) return true;
  const window = Math.floor((elapsedSec - readyDelaySec) / b.readyPeriodSec);
  return window === 0 || unitHash(b.seed * 2 ** 32, window) >= b.readyFailureRate;
}

/** Seconds after start when readyAt may next change (Infinity when it never will). */
export function nextReadinessChangeSec(b: Behaviour, elapsedSec: number, readyDelaySec: number): number {
  if (elapsedSec < readyDelaySec) return readyDelaySec;
  if (!has(b, 'flaky-readiness')) return Infinity;
  const window = Math.floor((elapsedSec - readyDelaySec) / b.readyPeriodSec);
  return readyDelaySec + (window + 1) * b.readyPeriodSec;
}

export const BACKOFF_INITIAL_SEC = 10;
export const BACKOFF_MAX_SEC = 300;

/**
 * The kubelet's crash back-off: 10 s after the first failure, doubling to a 300 s cap, and back to
 * 10 s once a container ran cleanly for twice the cap (as the kubelet does).
 */
export function nextBackoffSeconds(previousSec: number | undefined, ranSec: number): number {
  if (previousSec === undefined || ranSec >= 2 * BACKOFF_MAX_SEC) return BACKOFF_INITIAL_SEC;
  return Math.min(previousSec * 2, BACKOFF_MAX_SEC);
}
