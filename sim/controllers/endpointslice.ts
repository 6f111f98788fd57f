// The EndpointSlice controller of kube-controller-manager, for one Service at a time: every pod
// its selector selects that has an IP and has not finished becomes an endpoint of one IPv4 slice
// labelled `kubernetes.io/service-name`, owned by the Service. As upstream (endpointslice
// podToEndpoint): serving = the pod's Ready condition, terminating = a deletionTimestamp, and
// ready = serving and not terminating (or publishNotReadyAddresses). A Service without a selector
// is left alone (its slices are written by hand). Upstream splits at 100 endpoints per slice and
// by port mapping; the sim keeps one slice, which is what a client counting endpoints sees too.
import type { KObject, Store } from '../contract.js';
import type { ControllerContext } from './context.js';
import { ignoreNotFound, isPodReady, nsName, ownerRef, PODS, sameJson, splitKey } from './kube.js';

export const SERVICES = 'core/v1/services';
export const ENDPOINTSLICES = 'discovery.k8s.io/v1/endpointslices';
export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';
const MANAGED_BY_LABEL = 'endpointslice.kubernetes.io/managed-by';
const MANAGED_BY = 'endpointslice-controller.k8s.io';

type Port = { name?: string; port?: number; targetPort?: number | string; protocol?: string };
type ContainerPort = { name?: string; containerPort: number; protocol?: string };

const selects = (selector: Record<string, string>, labels: Record<string, string> = {}): boolean =>
  Object.entries(selector).every(([k, v]) => labels[k] === v);

/** A named targetPort is the container port of that name in the pod (the first pod that has it). */
function slicePorts(svc: KObject, pods: readonly KObject[]): Record<string, unknown>[] {
  return ((svc.spec?.ports ?? []) as Port[]).flatMap((p) => {
    let port = p.targetPort ?? p.port;
    if (typeof port === 'string') {
      const named = pods
        .flatMap((pod) =>
          (pod.spec?.containers ?? []).flatMap((c: { ports?: ContainerPort[] }) => c.ports ?? []),
        )
        .find((c: ContainerPort) => c.name === port);
      if (!named) return [];
      port = named.containerPort;
    }
    return [
      { ...(p.name !== undefined ? { name: p.name } : { name: '' }), port, protocol: p.protocol ?? 'TCP' },
    ];
  });
}

function endpointOf(pod: KObject, publishNotReady: boolean): Record<string, unknown> {
  const serving = isPodReady(pod);
  const terminating = Boolean(pod.metadata.deletionTimestamp);
  return {
    addresses: [pod.status.podIP],
    conditions: { ready: publishNotReady || (serving && !terminating), serving, terminating },
    ...(pod.spec?.nodeName ? { nodeName: pod.spec.nodeName } : {}),
    targetRef: {
      kind: 'Pod',
      namespace: pod.metadata.namespace,
      name: pod.metadata.name,
      uid: pod.metadata.uid,
    },
  };
}

function managedSlices(store: Store, namespace: string | undefined, service: string): KObject[] {
  return store
    .list(ENDPOINTSLICES, { namespace, labelSelector: `${SERVICE_NAME_LABEL}=${service}` })
    .filter((s) => s.metadata.labels?.[MANAGED_BY_LABEL] === MANAGED_BY);
}

export function createEndpointSliceController(ctx: ControllerContext): (key: string) => undefined {
  const { store } = ctx;
  return (key) => {
    const { namespace, name } = splitKey(key);
    const svc = store.get(SERVICES, namespace, name);
    const existing = managedSlices(store, namespace, name);
    const selector = svc?.spec?.selector as Record<string, string> | undefined;
    if (!svc || svc.metadata.deletionTimestamp || !selector || Object.keys(selector).length === 0) {
      for (const s of existing)
        ignoreNotFound(() => store.delete(ENDPOINTSLICES, namespace, s.metadata.name!));
      return undefined;
    }
    const pods = store
      .view(PODS, { namespace })
      .filter(
        (p) =>
          selects(selector, p.metadata.labels) &&
          p.status?.podIP &&
          p.status.phase !== 'Succeeded' &&
          p.status.phase !== 'Failed',
      )
      .sort((a, b) => (nsName(a) < nsName(b) ? -1 : 1));
    const desired = {
      addressType: 'IPv4',
      endpoints: pods.map((p) => endpointOf(p, svc.spec?.publishNotReadyAddresses === true)),
      ports: slicePorts(svc, pods),
    };
    const labels = { ...svc.metadata.labels, [SERVICE_NAME_LABEL]: name, [MANAGED_BY_LABEL]: MANAGED_BY };
    const [first, ...extra] = existing;
    for (const s of extra) ignoreNotFound(() => store.delete(ENDPOINTSLICES, namespace, s.metadata.name!));
    if (!first) {
      store.create(ENDPOINTSLICES, {
        apiVersion: 'discovery.k8s.io/v1',
        kind: 'EndpointSlice',
        metadata: { generateName: `${name}-`, namespace, labels, ownerReferences: [ownerRef(svc)] },
        ...desired,
      });
      return undefined;
    }
    const current = { addressType: first.addressType, endpoints: first.endpoints, ports: first.ports };
    if (sameJson(current, desired) && sameJson(first.metadata.labels, labels)) return undefined;
    ignoreNotFound(() =>
      store.mutate(ENDPOINTSLICES, namespace, first.metadata.name!, (o) => {
        Object.assign(o, desired);
        o.metadata.labels = labels;
      }),
    );
    return undefined;
  };
}
