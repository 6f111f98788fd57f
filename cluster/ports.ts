// Free loopback ports for the control plane. They are picked below the kernel's ephemeral range
// (32768+ here): a port in that range can be taken between our check and the bind by any process's
// outgoing connection, which once made kwok fail with "address already in use".
import net from 'node:net';
import type { Ports } from './components.js';

const LOW = 20_000;
const HIGH = 32_000;

function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen({ port, host: '127.0.0.1', exclusive: true }, () => srv.close(() => resolve(true)));
  });
}

/** `apiserver` 0 = pick one too; `preferred` (the last start's ports) are reused when free. */
export async function pickPorts(apiserver: number, preferred?: Partial<Ports>): Promise<Ports> {
  const taken = new Set<number>();
  const pick = async (want?: number): Promise<number> => {
    if (want && !taken.has(want) && (await isFree(want))) {
      taken.add(want);
      return want;
    }
    for (let i = 0; i < 200; i++) {
      const p = LOW + Math.floor(Math.random() * (HIGH - LOW));
      if (!taken.has(p) && (await isFree(p))) {
        taken.add(p);
        return p;
      }
    }
    throw new Error(`no free port found between ${LOW} and ${HIGH} on 127.0.0.1`);
  };
  if (apiserver !== 0) {
    if (!(await isFree(apiserver))) {
      throw Object.assign(new Error(`port ${apiserver} is already in use on 127.0.0.1`), {
        code: 'EADDRINUSE',
      });
    }
    taken.add(apiserver);
  }
  return {
    apiserver: apiserver !== 0 ? apiserver : await pick(preferred?.apiserver),
    etcdClient: await pick(preferred?.etcdClient),
    etcdPeer: await pick(preferred?.etcdPeer),
    controllerManager: await pick(preferred?.controllerManager),
    scheduler: await pick(preferred?.scheduler),
    kwok: await pick(preferred?.kwok),
    metricsServer: await pick(preferred?.metricsServer),
    kubeStateMetrics: await pick(preferred?.kubeStateMetrics),
    kubeStateMetricsTelemetry: await pick(preferred?.kubeStateMetricsTelemetry),
  };
}
