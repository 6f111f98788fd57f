// A small fault proxy in front of a real kube-apiserver, for chaos tests: plain HTTP on 127.0.0.1,
// forwarded over HTTPS (CA from the kubeconfig) with the client's own Authorization header, so the
// API server still authenticates and authorizes the operator's ServiceAccount. A configurable
// share of requests is answered 429/500/503 (kube-apiserver's Status bodies), delayed, dropped
// (the connection cut before an answer), or hung; watch streams are cut after a while. Every
// request is logged with the status the API server gave it, so a test counts what was done there.
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import { readFileSync } from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';

export interface ProxyFaults {
  /** Share (0..1) answered 429/500/503 by the proxy, never reaching the API server. */
  errorRate?: number;
  errorCodes?: number[];
  /** Share whose connection is cut before any answer, without forwarding. */
  dropRate?: number;
  /** Share forwarded and carried out, whose answer is then withheld and the connection cut. */
  lostAnswerRate?: number;
  /** Added delay for every request, in ms. */
  latencyMs?: number;
  /** Watch streams are cut this long after they open. */
  watchCutAfterMs?: number;
}

/** One request as the proxy saw it: what it did with it and the API server's status, if asked. */
export interface ProxyRecord {
  method: string;
  path: string;
  watch: boolean;
  /** 'forwarded', 'error' (injected status), 'dropped', 'lost-answer' (done, answer cut). */
  fate: 'forwarded' | 'error' | 'dropped' | 'lost-answer';
  /** The status the client got (injected) or the API server answered (forwarded, lost-answer). */
  status?: number;
  dryRun: boolean;
}

export interface FaultProxy {
  url: string;
  /** A kubeconfig for the same user (its token) through the proxy. */
  kubeconfigYaml: string;
  set(faults: ProxyFaults): void;
  records(): ProxyRecord[];
  stop(): Promise<void>;
}

const STATUS: Record<number, [string, string]> = {
  429: ['TooManyRequests', 'Too many requests, please try again later.'],
  500: ['InternalError', 'Internal error occurred: injected by the fault proxy'],
  503: ['ServiceUnavailable', 'the server is currently unable to handle the request'],
};

function answerInjected(res: ServerResponse, code: number): void {
  const [reason, message] = STATUS[code] ?? STATUS[500]!;
  const body = JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', message, reason, code });
  res.writeHead(code, {
    'content-type': 'application/json',
    ...(code === 429 ? { 'retry-after': '1' } : {}),
  });
  res.end(body);
}

interface Upstream {
  host: string;
  port: number;
  ca: string | undefined;
  token: string | undefined;
}

function upstreamOf(kubeconfigPath: string): { kc: KubeConfig; up: Upstream } {
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfigPath);
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new Error(`${kubeconfigPath} has no current cluster`);
  const url = new URL(cluster.server);
  const ca = cluster.caData
    ? Buffer.from(cluster.caData, 'base64').toString('utf8')
    : cluster.caFile
      ? readFileSync(cluster.caFile, 'utf8')
      : undefined;
  const token = kc.getCurrentUser()?.token;
  return { kc, up: { host: url.hostname, port: Number(url.port || 443), ca, token } };
}

/** Starts the proxy in front of the cluster of `kubeconfigPath` (its CA; the user's token in the proxy's kubeconfig). */
export async function startFaultProxy(
  kubeconfigPath: string,
  random: () => number = Math.random,
): Promise<FaultProxy> {
  const { kc, up } = upstreamOf(kubeconfigPath);
  const agent = new https.Agent({ keepAlive: true, ...(up.ca ? { ca: up.ca } : {}) });
  let faults: ProxyFaults = {};
  const log: ProxyRecord[] = [];
  const open = new Set<ServerResponse>();

  const forward = (
    req: IncomingMessage,
    res: ServerResponse,
    rec: ProxyRecord,
    loseAnswer: boolean,
  ): void => {
    const headers = { ...req.headers, host: `${up.host}:${up.port}` };
    const out = https.request(
      { host: up.host, port: up.port, method: req.method, path: req.url, headers, agent },
      (answer) => {
        rec.status = answer.statusCode;
        if (loseAnswer) {
          answer.resume();
          res.destroy();
          return;
        }
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
        if (rec.watch && faults.watchCutAfterMs !== undefined) {
          const t = setTimeout(() => res.destroy(), faults.watchCutAfterMs);
          res.on('close', () => clearTimeout(t));
        }
      },
    );
    out.on('error', () => res.destroy());
    res.on('close', () => out.destroy());
    req.pipe(out);
  };

  const server = http.createServer((req, res) => {
    open.add(res);
    res.on('close', () => open.delete(res));
    const url = new URL(req.url ?? '/', 'http://proxy');
    const rec: ProxyRecord = {
      method: req.method ?? 'GET',
      path: url.pathname,
      watch: url.searchParams.get('watch') === 'true' || url.searchParams.get('watch') === '1',
      fate: 'forwarded',
      dryRun: url.searchParams.has('dryRun'),
    };
    log.push(rec);
    // Discovery and health stay reliable, as in the sim: only resource requests are faulted.
    const resource = /^\/(api\/v1|apis\/[^/]+\/[^/]+)\/.+/.test(url.pathname);
    const u = random();
    const f = faults;
    const errorRate = resource ? (f.errorRate ?? 0) : 0;
    const dropRate = resource ? (f.dropRate ?? 0) : 0;
    const lostRate = resource && !rec.watch ? (f.lostAnswerRate ?? 0) : 0;
    const go = (): void => {
      if (u < errorRate) {
        const codes = f.errorCodes?.length ? f.errorCodes : [500];
        rec.fate = 'error';
        rec.status = codes[Math.floor(random() * codes.length)]!;
        req.resume();
        return answerInjected(res, rec.status);
      }
      if (u < errorRate + dropRate) {
        rec.fate = 'dropped';
        req.resume();
        res.destroy();
        return;
      }
      const lose = u < errorRate + dropRate + lostRate;
      if (lose) rec.fate = 'lost-answer';
      forward(req, res, rec, lose);
    };
    if (resource && f.latencyMs) setTimeout(go, f.latencyMs);
    else go();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    kubeconfigYaml: proxyKubeconfig(url, up.token ?? '', kc.getCurrentUser()?.name ?? 'user'),
    set: (next) => void (faults = { ...next }),
    records: () => log.map((r) => ({ ...r })),
    stop: async () => {
      for (const res of open) res.destroy();
      agent.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function proxyKubeconfig(server: string, token: string, user: string): string {
  return [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    '- name: fault-proxy',
    // client-node refuses plain HTTP with a token unless TLS checks are off (there is no TLS here).
    `  cluster: { server: "${server}", insecure-skip-tls-verify: true }`,
    'users:',
    `- name: ${JSON.stringify(user)}`,
    `  user: { token: ${JSON.stringify(token)} }`,
    'contexts:',
    '- name: fault-proxy',
    `  context: { cluster: fault-proxy, user: ${JSON.stringify(user)} }`,
    'current-context: fault-proxy',
    '',
  ].join('\n');
}

/** The proxy's log in the request log's shape: the status the API server (or the proxy) gave. */
export function byPathStatus(records: ProxyRecord[]): Record<string, Record<string, number>> {
  const out: Record<string, Record<string, number>> = {};
  for (const r of records) {
    // Keyed as the sim's request log is: a dry run under its own key (it changed nothing).
    const key = `${r.watch ? 'WATCH' : r.method}${r.dryRun ? ' (dryRun)' : ''} ${r.path}`;
    const label =
      r.fate === 'error'
        ? `injected ${r.status}`
        : r.fate === 'dropped'
          ? 'dropped'
          : `${r.status ?? 'none'}`;
    const byStatus = (out[key] ??= {});
    byStatus[label] = (byStatus[label] ?? 0) + 1;
  }
  return out;
}
