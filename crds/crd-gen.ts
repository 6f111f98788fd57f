// zod → apiextensions.k8s.io/v1 CustomResourceDefinition. The API server only accepts
// *structural* schemas: every node has a type, no anyOf/oneOf carrying types, no
// additionalProperties next to properties, no $ref. zod's OpenAPI 3.0 output is close; this file
// rewrites the few constructs that are not structural and drops noise (the ±2^53 integer bounds
// zod adds to every int).
import { z } from 'zod';
import { GROUP, VERSION } from './common.js';
import { HealingActionSpec, HealingActionStatus } from './healing-action.js';
import { HealingPolicySpec, HealingPolicyStatus } from './healing-policy.js';
import {
  CLUSTER_CONFIG_PLURAL,
  CLUSTER_NAME_RULE,
  KubeSkippyConfigSpec,
  KubeSkippyConfigStatus,
} from './cluster-config.js';

type Schema = Record<string, unknown>;

const SAFE_INT = 9007199254740991;

export function toStructural(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(toStructural);
  if (!node || typeof node !== 'object') return node;
  const src = node as Schema;
  const out: Schema = {};
  for (const [key, value] of Object.entries(src)) {
    if (key === '$schema' || key === 'id') continue;
    if ((key === 'minimum' && value === -SAFE_INT) || (key === 'maximum' && value === SAFE_INT)) continue;
    if (key === 'additionalProperties' && (value === false || src.properties)) continue;
    out[key] = toStructural(value);
  }
  const anyOf = out.anyOf as Schema[] | undefined;
  if (anyOf) {
    const types = new Set(anyOf.map((s) => s.type));
    if (types.size === 2 && types.has('integer') && types.has('string')) {
      delete out.anyOf;
      out['x-kubernetes-int-or-string'] = true;
    } else {
      throw new Error(`non-structural anyOf in CRD schema: ${JSON.stringify(anyOf)}`);
    }
  }
  if ('const' in out) {
    out.enum = [out.const];
    delete out.const;
  }
  return out;
}

function jsonSchema(schema: z.ZodType): Schema {
  return toStructural(z.toJSONSchema(schema, { target: 'openapi-3.0', io: 'input' })) as Schema;
}

interface PrinterColumn {
  name: string;
  type: 'string' | 'integer' | 'date' | 'boolean' | 'number';
  jsonPath: string;
  description?: string;
  priority?: number;
}

interface CrdInput {
  kind: string;
  plural: string;
  singular: string;
  shortNames: string[];
  description: string;
  spec: z.ZodType;
  specDescription: string;
  status: z.ZodType;
  statusDescription: string;
  columns: PrinterColumn[];
  /** Default Namespaced. */
  scope?: 'Namespaced' | 'Cluster';
  /** CEL rules on the root object (they may read metadata.name). */
  rootRules?: Schema[];
  /** spec may be omitted (every field has a default). */
  specOptional?: boolean;
}

function crd(input: CrdInput): Schema {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${input.plural}.${GROUP}` },
    spec: {
      group: GROUP,
      names: {
        kind: input.kind,
        listKind: `${input.kind}List`,
        plural: input.plural,
        singular: input.singular,
        shortNames: input.shortNames,
        categories: ['kubeskippy'],
      },
      scope: input.scope ?? 'Namespaced',
      versions: [
        {
          name: VERSION,
          served: true,
          storage: true,
          subresources: { status: {} },
          additionalPrinterColumns: input.columns,
          schema: {
            openAPIV3Schema: {
              type: 'object',
              description: input.description,
              ...(input.specOptional ? {} : { required: ['spec'] }),
              ...(input.rootRules ? { 'x-kubernetes-validations': input.rootRules } : {}),
              properties: {
                apiVersion: { type: 'string', description: 'Versioned schema of this object.' },
                kind: { type: 'string', description: 'Kind of this object.' },
                // Exactly this: the API server refuses a CRD whose root metadata schema says anything
                // more, a description included ("metadata is implicitly specified").
                metadata: { type: 'object' },
                spec: { description: input.specDescription, ...jsonSchema(input.spec) },
                status: { description: input.statusDescription, ...jsonSchema(input.status) },
              },
            },
          },
        },
      ],
    },
  };
}

const age: PrinterColumn = { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' };

export function healingPolicyCrd(): Schema {
  return crd({
    kind: 'HealingPolicy',
    plural: 'healingpolicies',
    singular: 'healingpolicy',
    shortNames: ['hp'],
    description: 'HealingPolicy: when a trigger holds for a target, run a remediation, safely.',
    spec: HealingPolicySpec,
    specDescription: 'What the policy watches, when it acts, what it does and within which limits.',
    status: HealingPolicyStatus,
    statusDescription: 'What the policy workflow last observed and did.',
    columns: [
      // The mode in effect, from status: a setMode override shows, and so does the default mode of
      // a spec that names none (blank only until the controller's first status write).
      { name: 'Mode', type: 'string', jsonPath: '.status.mode' },
      { name: 'Paused', type: 'string', jsonPath: '.status.conditions[?(@.type=="Paused")].status' },
      // Blank without windows; MaintenanceWindow, OutsideAllowedWindow or Open with them.
      { name: 'Window', type: 'string', jsonPath: '.status.conditions[?(@.type=="Window")].reason' },
      { name: 'Ready', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].status' },
      { name: 'Actions', type: 'integer', jsonPath: '.status.actionsTaken' },
      { name: 'Last Action', type: 'date', jsonPath: '.status.lastActionTime' },
      age,
      { name: 'Active Triggers', type: 'string', jsonPath: '.status.activeTriggers', priority: 1 },
      { name: 'Last Evaluated', type: 'date', jsonPath: '.status.lastEvaluated', priority: 1 },
    ],
  });
}

export function healingActionCrd(): Schema {
  return crd({
    kind: 'HealingAction',
    plural: 'healingactions',
    singular: 'healingaction',
    shortNames: ['ha'],
    description: 'HealingAction: one remediation and its audit record.',
    spec: HealingActionSpec,
    specDescription: 'What to do, to which object, and why.',
    status: HealingActionStatus,
    statusDescription: 'Progress and outcome of the action.',
    columns: [
      { name: 'Policy', type: 'string', jsonPath: '.spec.policyRef.name' },
      { name: 'Kind', type: 'string', jsonPath: '.spec.targetResource.kind' },
      { name: 'Target', type: 'string', jsonPath: '.spec.targetResource.name' },
      { name: 'Action', type: 'string', jsonPath: '.spec.action.type' },
      { name: 'Phase', type: 'string', jsonPath: '.status.phase' },
      { name: 'Reason', type: 'string', jsonPath: '.status.reason', priority: 1 },
      { name: 'Cluster', type: 'string', jsonPath: '.spec.cluster', priority: 1 },
      age,
    ],
  });
}

export function clusterConfigCrd(): Schema {
  return crd({
    kind: 'KubeSkippyConfig',
    plural: CLUSTER_CONFIG_PLURAL,
    singular: 'kubeskippyconfig',
    shortNames: ['ksc'],
    description:
      'KubeSkippyConfig: settings for the whole cluster (the kill switch, the cluster budget). One, named cluster.',
    spec: KubeSkippyConfigSpec,
    specDescription: 'The kill switch and the limits all policies share.',
    status: KubeSkippyConfigStatus,
    statusDescription: 'What the operator read and what the cluster budget has used.',
    scope: 'Cluster',
    rootRules: [CLUSTER_NAME_RULE],
    specOptional: true,
    columns: [
      { name: 'Suspended', type: 'boolean', jsonPath: '.spec.suspended' },
      { name: 'Reason', type: 'string', jsonPath: '.spec.reason' },
      { name: 'Ready', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].status' },
      { name: 'Running', type: 'integer', jsonPath: '.status.budget.runningActions', priority: 1 },
      { name: 'Last Hour', type: 'integer', jsonPath: '.status.budget.actionsInLastHour', priority: 1 },
      age,
    ],
  });
}

export function allCrds(): Schema[] {
  return [healingPolicyCrd(), healingActionCrd(), clusterConfigCrd()];
}
