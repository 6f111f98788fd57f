// Everything a real cluster runs beside its API server, started on one in-process store: node
// registration, scheduler, kubelet, ReplicaSet/Deployment/StatefulSet/Job controllers, PDB status,
// EndpointSlices of Services, and the metrics source. Store events are routed to the controllers that care, through one work
// queue; every timer lives in that queue, so stop() leaves nothing running.
import type { KObject, StartControllers, StoreEvent } from '../contract.js';
import type { ControllerContext } from './context.js';
import { createDeploymentController } from './deployment.js';
import {
  createEndpointSliceController,
  ENDPOINTSLICES,
  SERVICE_NAME_LABEL,
  SERVICES,
} from './endpointslice.js';
import { createEventRecorder } from './events.js';
import { DEPLOYMENTS, JOBS, PDBS, PODS, REPLICASETS, STATEFULSETS, controllerOf, nsName } from './kube.js';
import { createJobController } from './job.js';
import { createKubelet } from './kubelet.js';
import { createMetricsSource } from './metrics.js';
import { registerNodes } from './nodes.js';
import { createPdbController } from './pdb.js';
import { createWorkQueue } from './queue.js';
import { createReplicaSetController } from './replicaset.js';
import { createScheduler } from './scheduler.js';
import { createStatefulSetController } from './statefulset.js';

export const startControllers: StartControllers = (opts) => {
  const { store } = opts;
  const timeScale = opts.timeScale && opts.timeScale > 0 ? opts.timeScale : 1;
  const ctx: ControllerContext = {
    store,
    events: createEventRecorder(store),
    timeScale,
    ms: (seconds) => seconds * 1000 * timeScale,
  };
  const kubelet = createKubelet(ctx);
  const scheduler = createScheduler(ctx);
  const queue = createWorkQueue(
    {
      scheduler: scheduler.reconcile,
      kubelet: kubelet.reconcile,
      replicaset: createReplicaSetController(ctx),
      deployment: createDeploymentController(ctx),
      statefulset: createStatefulSetController(ctx),
      job: createJobController(ctx),
      pdb: createPdbController(ctx),
      endpointslice: createEndpointSliceController(ctx),
    },
    (controller, key, err) => {
      // Conflicts and races with deletions are routine for controllers; the queue retries.
      const code = (err as { code?: number }).code;
      if (code !== 409 && code !== 404) console.warn(`sim ${controller} ${key}: ${(err as Error).message}`);
    },
  );

  function enqueueOwner(obj: KObject, kind: string, controller: string): void {
    const ref = controllerOf(obj);
    if (ref?.kind === kind) queue.add(controller, `${obj.metadata.namespace ?? ''}/${ref.name}`);
  }

  function route({ type, resource, object }: Pick<StoreEvent, 'type' | 'resource' | 'object'>): void {
    const key = nsName(object);
    switch (resource) {
      case PODS:
        scheduler.observe({ type, object });
        queue.add(object.spec?.nodeName ? 'kubelet' : 'scheduler', key);
        enqueueOwner(object, 'ReplicaSet', 'replicaset');
        enqueueOwner(object, 'StatefulSet', 'statefulset');
        enqueueOwner(object, 'Job', 'job');
        for (const pdb of store.view(PDBS, { namespace: object.metadata.namespace }))
          queue.add('pdb', nsName(pdb));
        // Any Service of the namespace: a label change can take the pod out of a selection too.
        for (const svc of store.view(SERVICES, { namespace: object.metadata.namespace }))
          queue.add('endpointslice', nsName(svc));
        break;
      case SERVICES:
        queue.add('endpointslice', key);
        break;
      case ENDPOINTSLICES: {
        // A managed slice edited or deleted by someone else is put back.
        const service = object.metadata.labels?.[SERVICE_NAME_LABEL];
        if (service) queue.add('endpointslice', `${object.metadata.namespace ?? ''}/${service}`);
        break;
      }
      case REPLICASETS:
        queue.add('replicaset', key);
        enqueueOwner(object, 'Deployment', 'deployment');
        break;
      case DEPLOYMENTS:
        queue.add('deployment', key);
        break;
      case STATEFULSETS:
        queue.add('statefulset', key);
        break;
      case JOBS:
        queue.add('job', key);
        break;
      case PDBS:
        queue.add('pdb', key);
        break;
    }
  }

  registerNodes(store, opts.nodes ?? 2);
  const unsubscribe = store.subscribe(route);
  // Objects that existed before we started (e.g. scenarios applied first) need a first look too.
  for (const resource of [PODS, REPLICASETS, DEPLOYMENTS, STATEFULSETS, JOBS, PDBS, SERVICES]) {
    for (const object of store.list(resource)) route({ type: 'ADDED', resource, object });
  }

  return {
    metrics: createMetricsSource({ store, timeScale, containerStartMs: kubelet.containerStartMs }),
    async stop(): Promise<void> {
      unsubscribe();
      queue.stop();
    },
  };
};
