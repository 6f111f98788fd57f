// The single source of truth for KubeSkippy's custom resources.
export * from './common.js';
export * from './healing-policy.js';
export * from './healing-action.js';
export * from './cluster-config.js';
export * from './validate.js';
