// The workflow bundle's entry point: every workflow type the worker registers.
export { policyWorkflow } from './policy-workflow.js';
export { healingActionWorkflow } from './healing-action-workflow.js';
export { clusterWorkflow } from './cluster-workflow.js';
