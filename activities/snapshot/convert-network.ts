// Services, EndpointSlices and HPAs → the compact snapshot parts the blast radius counts
// (domain/blast-radius.ts). Only an action's safety check reads them, never a policy tick.
import type { V1EndpointSlice, V1HorizontalPodAutoscaler, V1Service } from '@kubernetes/client-node';
import type { EndpointSliceSnapshot, HpaSnapshot, ServiceSnapshot } from '../../domain/snapshot.js';

/** The label the EndpointSlice controller puts on each slice it manages for a Service. */
export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';

/** A Service with a pod selector; undefined for one without (its endpoints are made by hand). */
export function serviceSnapshot(s: V1Service): ServiceSnapshot | undefined {
  const selector = s.spec?.selector;
  if (!selector || Object.keys(selector).length === 0) return undefined;
  return { namespace: s.metadata?.namespace ?? '', name: s.metadata?.name ?? '', selector };
}

/** A slice keyed by the pods it points at; undefined for one that belongs to no Service. */
export function endpointSliceSnapshot(e: V1EndpointSlice): EndpointSliceSnapshot | undefined {
  const service = e.metadata?.labels?.[SERVICE_NAME_LABEL];
  if (!service) return undefined;
  const ready: string[] = [];
  const notReady: string[] = [];
  for (const ep of e.endpoints ?? []) {
    const key = ep.targetRef?.uid || ep.addresses[0];
    if (!key) continue;
    // discovery.k8s.io/v1: "A nil value should be interpreted as true" (and is false while terminating).
    (ep.conditions?.ready === false ? notReady : ready).push(key);
  }
  return { namespace: e.metadata?.namespace ?? '', name: e.metadata?.name ?? '', service, ready, notReady };
}

export function hpaSnapshot(h: V1HorizontalPodAutoscaler): HpaSnapshot {
  const ref = h.spec?.scaleTargetRef;
  return {
    namespace: h.metadata?.namespace ?? '',
    name: h.metadata?.name ?? '',
    target: `${ref?.kind}/${ref?.name}`,
    minReplicas: h.spec?.minReplicas ?? 1,
    maxReplicas: h.spec?.maxReplicas ?? 0,
  };
}
