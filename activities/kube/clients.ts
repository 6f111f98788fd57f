// One bundle of typed API clients per KubeConfig, built once in operator/ and handed to the
// activity factories. Activities never load kubeconfigs themselves.
import {
  AppsV1Api,
  AutoscalingV2Api,
  BatchV1Api,
  CoreV1Api,
  CustomObjectsApi,
  DiscoveryV1Api,
  KubeConfig,
  KubernetesObjectApi,
  Metrics,
  PolicyV1Api,
} from '@kubernetes/client-node';

export interface Kube {
  config: KubeConfig;
  core: CoreV1Api;
  apps: AppsV1Api;
  autoscaling: AutoscalingV2Api;
  batch: BatchV1Api;
  policy: PolicyV1Api;
  discovery: DiscoveryV1Api;
  custom: CustomObjectsApi;
  objects: KubernetesObjectApi;
  metrics: Metrics;
}

export function createKube(config: KubeConfig): Kube {
  return {
    config,
    core: config.makeApiClient(CoreV1Api),
    apps: config.makeApiClient(AppsV1Api),
    autoscaling: config.makeApiClient(AutoscalingV2Api),
    batch: config.makeApiClient(BatchV1Api),
    policy: config.makeApiClient(PolicyV1Api),
    discovery: config.makeApiClient(DiscoveryV1Api),
    custom: config.makeApiClient(CustomObjectsApi),
    objects: KubernetesObjectApi.makeApiClient(config),
    metrics: new Metrics(config),
  };
}

/** Loads a kubeconfig file, or the in-cluster service account when no path is given. */
export function loadKubeConfig(path?: string): KubeConfig {
  const kc = new KubeConfig();
  if (path) kc.loadFromFile(path);
  else kc.loadFromDefault();
  return kc;
}

/** The field manager every write uses, so server-side apply and audits attribute changes to us. */
export const FIELD_MANAGER = 'kubeskippy';
