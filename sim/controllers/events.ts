// core/v1 Events as client-go's event recorder writes them: one object per (object, reason,
// message, source), whose `count` and `lastTimestamp` are bumped when the same thing happens again,
// instead of a new object each time.
import type { KObject, Store } from '../contract.js';
import { EVENTS, ignoreNotFound } from './kube.js';

export interface EventInput {
  object: KObject;
  /** e.g. "spec.containers{app}" for container events. */
  fieldPath?: string;
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
  component: string;
  host?: string;
}

export interface EventRecorder {
  record(input: EventInput): void;
}

function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

export function createEventRecorder(store: Store): EventRecorder {
  const names = new Map<string, string>();
  let sequence = 0;

  return {
    record(input: EventInput): void {
      const { object, fieldPath, type, reason, message, component, host } = input;
      const namespace = object.metadata.namespace ?? 'default';
      const key = [object.metadata.uid, fieldPath, type, reason, message, component, host].join('\u0000');
      const now = store.now();
      const stamp = new Date(now).toISOString().replace(/\.\d{3}Z$/, 'Z');
      const existing = names.get(key);
      if (existing) {
        const bumped = ignoreNotFound(() =>
          store.mutate(EVENTS, namespace, existing, (e) => {
            e.count = ((e.count as number | undefined) ?? 1) + 1;
            e.lastTimestamp = stamp;
          }),
        );
        if (bumped) return;
      }
      // Named like client-go: "<object>.<unix nanos in hex>"; the sequence keeps same-ms events apart.
      const name = `${object.metadata.name}.${(BigInt(now) * 1_000_000n + BigInt(sequence++ % 1_000_000)).toString(16)}`;
      names.set(key, name);
      store.create(EVENTS, {
        apiVersion: 'v1',
        kind: 'Event',
        metadata: { name, namespace },
        involvedObject: {
          apiVersion: object.apiVersion,
          kind: object.kind,
          name: object.metadata.name,
          namespace: object.metadata.namespace,
          uid: object.metadata.uid,
          resourceVersion: object.metadata.resourceVersion,
          ...(fieldPath ? { fieldPath } : {}),
        },
        reason,
        message,
        type,
        count: 1,
        firstTimestamp: stamp,
        lastTimestamp: stamp,
        eventTime: microTime(now),
        source: host ? { component, host } : { component },
        reportingComponent: component,
        reportingInstance: host ?? component,
      });
    },
  };
}
