// The public API of domain/: pure, deterministic policy logic shared by workflows and activities.
export * from './duration.js';
export * from './ids.js';
export * from './selector.js';
export type * from './snapshot.js';
export * from './policy.js';
export * from './targets.js';
export * from './samples.js';
export * from './conditions.js';
export * from './restarts.js';
export * from './triggers.js';
export * from './state.js';
export * from './prune.js';
export * from './scale.js';
export * from './safety.js';
export * from './decide.js';
export * from './plan.js';
export * from './verify.js';
