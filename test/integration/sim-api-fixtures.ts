// Builders shared by the sim API integration tests: a small CRD with the features the operator's
// CRDs use (status subresource, defaults, enums, printer columns), and plain workload objects.
import type { KObject } from '../../sim/contract.js';

export const WIDGET_CRD = (): KObject => ({
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: 'widgets.example.com' },
  spec: {
    group: 'example.com',
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

export const widget = (name: string, spec: Record<string, unknown>): KObject => ({
  apiVersion: 'example.com/v1',
  kind: 'Widget',
  metadata: { name, namespace: 'default' },
  spec,
});

export const pod = (
  name: string,
  opts: { labels?: Record<string, string>; nodeName?: string } = {},
): KObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: 'default', labels: opts.labels ?? { app: 'web' } },
  spec: {
    ...(opts.nodeName ? { nodeName: opts.nodeName } : {}),
    containers: [{ name: 'app', image: 'nginx:1.27', env: [{ name: 'A', value: '1' }] }],
  },
});

export const deployment = (name: string, replicas = 2): KObject => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name, namespace: 'default' },
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
