// The real `helm` (tools/helm.ts, pinned and built once per machine by `npm run tools:helm`) run on
// deploy/helm/kubeskippy, for the chart tests: its exit code and output, and rendered manifests
// parsed into objects.
import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { resolveHelm } from '../../tools/helm.js';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../..');
export const CHART = join(ROOT, 'deploy/helm/kubeskippy');

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Obj = Record<string, any>;

export interface HelmRun {
  code: number;
  stdout: string;
  stderr: string;
}

let helmPath: Promise<string> | undefined;

/** No build here: `npm test` runs `npm run tools:helm` first; a missing helm says to run it. */
export function helmBinary(): Promise<string> {
  helmPath ??= resolveHelm({ allowBuild: false }).then((h) => h.path);
  return helmPath;
}

export async function helm(...args: string[]): Promise<HelmRun> {
  const file = await helmBinary();
  return new Promise((resolve) => {
    execFile(file, args, { cwd: ROOT, timeout: 120_000, maxBuffer: 32 << 20 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      resolve({ code, stdout, stderr: stderr || (err && !stderr ? err.message : '') });
    });
  });
}

/** The objects of a multi-document YAML stream (empty documents left out). */
export function parseObjects(yamlText: string): Obj[] {
  return parseAllDocuments(yamlText)
    .map((d) => {
      if (d.errors.length > 0) throw new Error(`rendered YAML does not parse: ${d.errors[0]!.message}`);
      return d.toJS() as Obj | null;
    })
    .filter((o): o is Obj => o !== null && typeof o === 'object');
}

export interface RenderOptions {
  release?: string;
  namespace?: string;
  /** Values by dotted path, each passed as `--set-json path=<JSON>` (so types survive). */
  set?: Record<string, unknown>;
  /** `--api-versions`: what an offline render takes the cluster to serve. */
  apiVersions?: string[];
  includeCrds?: boolean;
}

/** `helm template` of the chart; throws with helm's message when it refuses. */
export async function renderChart(opts: RenderOptions = {}): Promise<Obj[]> {
  const run = await helm('template', ...templateArgs(opts));
  if (run.code !== 0) throw new Error(`helm template failed (${run.code}): ${run.stderr}`);
  return parseObjects(run.stdout);
}

export function templateArgs(opts: RenderOptions): string[] {
  return [
    opts.release ?? 'kubeskippy',
    CHART,
    '--namespace',
    opts.namespace ?? 'kubeskippy-system',
    ...(opts.includeCrds ? ['--include-crds'] : []),
    ...(opts.apiVersions ?? []).flatMap((v) => ['--api-versions', v]),
    ...Object.entries(opts.set ?? {}).flatMap(([k, v]) => ['--set-json', `${k}=${JSON.stringify(v)}`]),
  ];
}

export const VAP = 'admissionregistration.k8s.io/v1/ValidatingAdmissionPolicy';
export const SERVICE_MONITOR = 'monitoring.coreos.com/v1/ServiceMonitor';

/** The one object of `kind` (and `name`, when given) in a render. */
export function find(objects: Obj[], kind: string, name?: string): Obj | undefined {
  return objects.find((o) => o.kind === kind && (name === undefined || o.metadata?.name === name));
}

export const kinds = (objects: Obj[]): string[] => objects.map((o) => `${o.kind}/${o.metadata?.name}`).sort();
