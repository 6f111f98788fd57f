// The built-in resources the simulated cluster serves, as discovery describes them.
import type { KObject } from '../contract.js';
import { crdDefaults, crdValidate } from './crds.js';
import * as d from './defaults.js';
import { PRINTERS } from './printers.js';
import { ALL_VERBS, resourceId, type Registry, type ResourceInfo } from './resources.js';
import * as v from './validation.js';

type Def = Omit<ResourceInfo, 'id' | 'verbs' | 'strategicMerge' | 'status'> &
  Partial<Pick<ResourceInfo, 'verbs' | 'status'>>;

const scale = {
  specReplicasPath: '.spec.replicas',
  statusReplicasPath: '.status.replicas',
  labelSelectorPath: '.status.selector',
};
const meta = (o: KObject): ReturnType<typeof v.validateMeta> => v.validateMeta(o);

const DEFS: Def[] = [
  {
    group: '',
    version: 'v1',
    plural: 'namespaces',
    singular: 'namespace',
    kind: 'Namespace',
    namespaced: false,
    shortNames: ['ns'],
    status: true,
    defaults: d.defaultNamespace,
    validate: (o) => v.validateMeta(o, 'label'),
  },
  {
    group: '',
    version: 'v1',
    plural: 'nodes',
    singular: 'node',
    kind: 'Node',
    namespaced: false,
    shortNames: ['no'],
    status: true,
    validate: meta,
  },
  {
    group: '',
    version: 'v1',
    plural: 'pods',
    singular: 'pod',
    kind: 'Pod',
    namespaced: true,
    shortNames: ['po'],
    categories: ['all'],
    status: true,
    extraSubresources: [
      { name: 'eviction', group: 'policy', version: 'v1', kind: 'Eviction', verbs: ['create'] },
    ],
    defaults: d.defaultPod,
    validate: v.validatePod,
  },
  {
    group: '',
    version: 'v1',
    plural: 'events',
    singular: 'event',
    kind: 'Event',
    namespaced: true,
    shortNames: ['ev'],
    validate: meta,
  },
  {
    group: '',
    version: 'v1',
    plural: 'services',
    singular: 'service',
    kind: 'Service',
    namespaced: true,
    shortNames: ['svc'],
    categories: ['all'],
    status: true,
    defaults: d.defaultService,
    validate: (o) => v.validateMeta(o, 'label'),
  },
  {
    group: '',
    version: 'v1',
    plural: 'configmaps',
    singular: 'configmap',
    kind: 'ConfigMap',
    namespaced: true,
    shortNames: ['cm'],
    validate: meta,
  },
  {
    group: 'apps',
    version: 'v1',
    plural: 'deployments',
    singular: 'deployment',
    kind: 'Deployment',
    namespaced: true,
    shortNames: ['deploy'],
    categories: ['all'],
    status: true,
    scale,
    defaults: d.defaultDeployment,
    validate: v.validateWorkload,
  },
  {
    group: 'apps',
    version: 'v1',
    plural: 'replicasets',
    singular: 'replicaset',
    kind: 'ReplicaSet',
    namespaced: true,
    shortNames: ['rs'],
    categories: ['all'],
    status: true,
    scale,
    defaults: d.defaultReplicaSet,
    validate: v.validateWorkload,
  },
  {
    group: 'apps',
    version: 'v1',
    plural: 'statefulsets',
    singular: 'statefulset',
    kind: 'StatefulSet',
    namespaced: true,
    shortNames: ['sts'],
    categories: ['all'],
    status: true,
    scale,
    defaults: d.defaultStatefulSet,
    validate: v.validateWorkload,
  },
  {
    group: 'policy',
    version: 'v1',
    plural: 'poddisruptionbudgets',
    singular: 'poddisruptionbudget',
    kind: 'PodDisruptionBudget',
    namespaced: true,
    shortNames: ['pdb'],
    status: true,
    validate: v.validatePdb,
  },
  {
    group: 'apiextensions.k8s.io',
    version: 'v1',
    plural: 'customresourcedefinitions',
    singular: 'customresourcedefinition',
    kind: 'CustomResourceDefinition',
    namespaced: false,
    shortNames: ['crd', 'crds'],
    categories: ['api-extensions'],
    status: true,
    defaults: crdDefaults,
    validate: crdValidate,
  },
  // Served from a MetricsSource, not the store.
  {
    group: 'metrics.k8s.io',
    version: 'v1beta1',
    plural: 'pods',
    singular: '',
    kind: 'PodMetrics',
    namespaced: true,
    verbs: ['get', 'list'],
    virtual: true,
  },
  {
    group: 'metrics.k8s.io',
    version: 'v1beta1',
    plural: 'nodes',
    singular: '',
    kind: 'NodeMetrics',
    namespaced: false,
    verbs: ['get', 'list'],
    virtual: true,
  },
];

export function registerBuiltins(registry: Registry): void {
  for (const def of DEFS) {
    registry.add({
      ...def,
      id: resourceId(def.group, def.version, def.plural),
      verbs: def.verbs ?? ALL_VERBS,
      status: def.status ?? false,
      strategicMerge: true,
      ...(PRINTERS[def.plural] && !def.virtual ? { table: PRINTERS[def.plural] } : {}),
    });
  }
}
