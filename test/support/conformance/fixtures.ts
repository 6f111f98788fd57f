// Builders shared by the API conformance suites: a small CRD with the features the operator's
// CRDs use (status subresource, defaults, enums, printer columns), and plain workload objects.
// The CRD's group is a parameter: on the real cluster, which other files share, each file uses
// a group of its own.
import type { KObject } from '../../../sim/contract.js';

export const WIDGET_CRD = (group = 'example.com'): KObject => ({
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: `widgets.${group}` },
  spec: {
    group,
    scope: 'Namespaced',
    names: { plural: 'widgets', singular: 'widget', kind: 'Widget', shortNames: ['wd'], categories: ['all'] },
    versions: [
      {
        name: 'v1',
        served: true,
        storage: true,
        subresources: { status: {} },
        additionalPrinterColumns: [
          { name: 'Size', type: 'integer', jsonPath: '.spec.size' },
          { name: 'Colour', type: 'string', jsonPath: '.spec.colour' },
          { name: 'Phase', type: 'string', jsonPath: '.status.phase' },
          { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
        ],
        schema: {
          openAPIV3Schema: {
            type: 'object',
            description: 'A widget for tests.',
            required: ['spec'],
            properties: {
              spec: {
                type: 'object',
                description: 'What the widget should be.',
                required: ['size'],
                properties: {
                  size: { type: 'integer', minimum: 1, description: 'How big the widget is.' },
                  colour: {
                    type: 'string',
                    enum: ['red', 'blue'],
                    default: 'red',
                    description: 'Its colour.',
                  },
                },
              },
              status: { type: 'object', properties: { phase: { type: 'string' } } },
            },
          },
        },
      },
    ],
  },
});

export const widget = (
  name: string,
  spec: Record<string, unknown>,
  namespace = 'default',
  group = 'example.com',
): KObject => ({
  apiVersion: `${group}/v1`,
  kind: 'Widget',
  metadata: { name, namespace },
  spec,
});

export const pod = (
  name: string,
  opts: {
    labels?: Record<string, string>;
    nodeName?: string;
    namespace?: string;
    /** A scheduler nobody runs keeps the pod Pending and unbound (no status writes either). */
    schedulerName?: string;
    finalizers?: string[];
  } = {},
): KObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: {
    name,
    namespace: opts.namespace ?? 'default',
    labels: opts.labels ?? { app: 'web' },
    ...(opts.finalizers ? { finalizers: opts.finalizers } : {}),
  },
  spec: {
    ...(opts.nodeName ? { nodeName: opts.nodeName } : {}),
    ...(opts.schedulerName ? { schedulerName: opts.schedulerName } : {}),
    containers: [{ name: 'app', image: 'nginx:1.27', env: [{ name: 'A', value: '1' }] }],
  },
});

export const deployment = (name: string, replicas = 2, namespace = 'default'): KObject => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name, namespace },
  spec: {
    replicas,
    selector: { matchLabels: { app: name } },
    template: {
      metadata: { labels: { app: name } },
      spec: {
        containers: [
          {
            name: 'app',
            image: 'nginx:1.27',
            env: [
              { name: 'A', value: '1' },
              { name: 'B', value: '2' },
            ],
          },
          { name: 'sidecar', image: 'busybox:1.36' },
        ],
      },
    },
  },
});

/** A pod no scheduler binds: Pending, never run, deleted at once (it is on no node). */
export const UNSCHEDULED = 'conformance-nobody';
