// The real cluster's behaviour files (cluster/kwok/*.yaml, loaded by kwok with --config) and the
// load spreader's decision of which pods get which ready-replicas count.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { V1Pod } from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import { READY_REPLICAS_ANNOTATION, readyReplicaPatches } from '../../cluster/load-spreader.js';

const DIR = path.resolve('cluster/kwok');
const docs = readdirSync(DIR)
  .filter((f) => f.endsWith('.yaml'))
  .flatMap((f) =>
    parseAllDocuments(readFileSync(path.join(DIR, f), 'utf8')).map((d) => {
      expect(d.errors, f).toEqual([]);
      return {
        file: f,
        obj: d.toJS() as { kind: string; metadata: { name: string }; spec: Record<string, unknown> },
      };
    }),
  );

describe('cluster/kwok/*.yaml', () => {
  it('holds only kinds kwok v0.8.0 loads from --config, and no KwokConfiguration', () => {
    for (const { file, obj } of docs) {
      expect(['Stage', 'Metric', 'ClusterResourceUsage'], `${file}: ${obj.kind}`).toContain(obj.kind);
    }
  });

  it('has kwok’s default node and pod stages, the behaviour stages and one usage for every pod', () => {
    const names = docs.map((d) => d.obj.metadata.name).sort();
    expect(names).toEqual(
      [
        'node-initialize',
        'node-heartbeat-with-lease',
        'pod-behaviour',
        'pod-ready',
        'pod-complete',
        'pod-delete',
        'pod-container-exit',
        'pod-container-oom',
        'pod-container-backoff',
        'pod-container-restart',
        'pod-container-final',
        'pod-flaky-unready',
        'pod-flaky-ready',
        'metrics-resource',
        'kubeskippy-behaviours',
      ].sort(),
    );
  });

  it('keeps every pod stage but pod-delete off terminating pods, so pod-delete never competes', () => {
    const podStages = docs.filter(
      (d) => d.obj.kind === 'Stage' && (d.obj.spec['resourceRef'] as { kind: string }).kind === 'Pod',
    );
    for (const { obj } of podStages) {
      const exprs = (obj.spec['selector'] as { matchExpressions: { key?: string; operator?: string }[] })
        .matchExpressions;
      const onDeletion = exprs.find((e) => e.key === '.metadata.deletionTimestamp');
      expect(onDeletion?.operator, obj.metadata.name).toBe(
        obj.metadata.name === 'pod-delete' ? 'Exists' : 'DoesNotExist',
      );
    }
  });
});

describe('load spreader: ready-replicas for the pods of cpu-load workloads', () => {
  const pod = (
    name: string,
    hash: string,
    ready: boolean,
    annotations: Record<string, string> = {},
  ): V1Pod => ({
    metadata: {
      name,
      namespace: 'demo-apps',
      labels: { 'pod-template-hash': hash },
      ownerReferences: [
        {
          apiVersion: 'apps/v1',
          kind: 'ReplicaSet',
          name: `cpu-spike-app-${hash}`,
          uid: hash,
          controller: true,
        },
      ],
      annotations: { 'sim.kubeskippy.io/cpu-load': '900m', ...annotations },
    },
    status: { conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] },
  });

  it('writes the ready count of the whole Deployment (both ReplicaSets) on each of its pods', () => {
    const patches = readyReplicaPatches([
      pod('a', 'old1', true),
      pod('b', 'old1', true),
      pod('c', 'new2', true),
      pod('d', 'new2', false),
    ]);
    expect(patches.map((p) => [p.name, p.value])).toEqual([
      ['a', '3'],
      ['b', '3'],
      ['c', '3'],
      ['d', '3'],
    ]);
  });

  it('leaves pods alone that already carry the count (the plain ready pod still counts), and pods without a cpu-load', () => {
    const plain = pod('e', 'old1', true);
    delete plain.metadata!.annotations!['sim.kubeskippy.io/cpu-load'];
    const patches = readyReplicaPatches([
      pod('a', 'old1', true, { [READY_REPLICAS_ANNOTATION]: '2' }),
      plain,
    ]);
    expect(patches).toEqual([]);
  });

  it('never writes 0: a workload with no ready pod counts as one', () => {
    expect(readyReplicaPatches([pod('a', 'old1', false)]).map((p) => p.value)).toEqual(['1']);
  });
});
