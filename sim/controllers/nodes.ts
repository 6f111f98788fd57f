// Registers the simulated nodes, as kubelets do when they start: capacity, addresses, a Ready
// condition. Node usage is served by the metrics source; the Node objects stay static.
import type { KObject, Store } from '../contract.js';
import { NODES, ignoreNotFound } from './kube.js';

export function nodeName(index: number): string {
  return `sim-node-${index + 1}`;
}

export function nodeIp(index: number): string {
  return `172.18.0.${index + 2}`;
}

function nodeObject(index: number): KObject {
  const name = nodeName(index);
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name,
      labels: {
        'kubernetes.io/hostname': name,
        'kubernetes.io/os': 'linux',
        'kubernetes.io/arch': 'amd64',
        'node.kubernetes.io/instance-type': 'sim',
      },
    },
    spec: { podCIDR: `10.244.${index}.0/24`, podCIDRs: [`10.244.${index}.0/24`] },
  };
}

function nodeStatus(index: number, nowIso: string): unknown {
  const resources = { cpu: '4', memory: '8Gi', pods: '110', 'ephemeral-storage': '100Gi' };
  const condition = (type: string, status: string, reason: string, message: string): unknown => ({
    type,
    status,
    reason,
    message,
    lastHeartbeatTime: nowIso,
    lastTransitionTime: nowIso,
  });
  return {
    capacity: resources,
    allocatable: resources,
    conditions: [
      condition(
        'MemoryPressure',
        'False',
        'KubeletHasSufficientMemory',
        'kubelet has sufficient memory available',
      ),
      condition('DiskPressure', 'False', 'KubeletHasNoDiskPressure', 'kubelet has no disk pressure'),
      condition('PIDPressure', 'False', 'KubeletHasSufficientPID', 'kubelet has sufficient PID available'),
      condition('Ready', 'True', 'KubeletReady', 'kubelet is posting ready status'),
    ],
    addresses: [
      { type: 'InternalIP', address: nodeIp(index) },
      { type: 'Hostname', address: nodeName(index) },
    ],
    daemonEndpoints: { kubeletEndpoint: { Port: 10250 } },
    nodeInfo: {
      kubeletVersion: 'v1.32.4',
      kubeProxyVersion: 'v1.32.4',
      containerRuntimeVersion: 'containerd://1.7.24',
      operatingSystem: 'linux',
      architecture: 'amd64',
      osImage: 'KubeSkippy simulated node',
      kernelVersion: '6.8.0-sim',
      machineID: `sim-${index + 1}`,
      systemUUID: `00000000-0000-0000-0000-00000000000${index + 1}`,
      bootID: `sim-boot-${index + 1}`,
    },
  };
}

/** Creates (or refreshes the status of) `count` nodes; returns their names. */
export function registerNodes(store: Store, count: number): string[] {
  const nowIso = new Date(store.now()).toISOString().replace(/\.\d{3}Z$/, 'Z');
  const names: string[] = [];
  for (let i = 0; i < count; i++) {
    const name = nodeName(i);
    names.push(name);
    if (!store.get(NODES, undefined, name)) store.create(NODES, nodeObject(i));
    // Status goes through the status subresource: a create may drop it, as a real API server does.
    ignoreNotFound(() =>
      store.mutate(NODES, undefined, name, (n) => void (n.status = nodeStatus(i, nowIso)), {
        subresource: 'status',
      }),
    );
  }
  return names;
}
