// `kubeskippy record --kubeconfig PATH (--policy FILE | --selector SEL [-n NS]) --out FILE
// [--for 10m] [--interval 5s]`: what a policy workflow would see, as a timeline for
// `kubeskippy backtest`. With --selector there is no policy yet: everything a policy could use is
// collected for the selected pods, so any policy can be backtested on it later.
import type { Command } from 'commander';
import { formatDuration, parseDuration } from '../../../domain/duration.js';
import { ConfigError, loadConfig } from '../../../operator/config.js';
import { PolicyFileError, readPolicyFile, type PolicyFile } from '../../backtest/policy-file.js';
import type { LabelSelector } from '../../../crds/common.js';
import { parseLabelSelector } from '../../../domain/selector.js';
import type { Selection } from '../../backtest/recorder.js';
import { CliError } from '../errors.js';

const isEmpty = (s: LabelSelector): boolean => !s.matchLabels && !s.matchExpressions;

interface RecordFlags {
  kubeconfig?: string;
  policy?: string;
  selector?: string;
  namespace?: string[];
  out?: string;
  for: string;
  interval?: string;
  prometheusUrl?: string;
}

function duration(flag: string, text: string): number {
  try {
    const ms = parseDuration(text);
    if (ms <= 0) throw new Error('must be more than 0');
    return ms;
  } catch (err) {
    throw new CliError(`${flag}: ${(err as Error).message}`);
  }
}

export function registerRecordCommand(program: Command): void {
  program
    .command('record')
    .description(
      "Record the snapshots a policy's workflow would see, as a timeline for `kubeskippy backtest`",
    )
    .option(
      '--kubeconfig <path>',
      'cluster to read (env KUBECONFIG; default in-cluster, else ~/.kube/config)',
    )
    .option('--policy <file>', 'the HealingPolicy whose selector and triggers define what to collect')
    .option(
      '-l, --selector <labels>',
      'instead of --policy: pods matching this label selector (kubectl syntax, "" = all), with usage, ' +
        'restarts, conditions and 15 minutes of Events',
    )
    .option(
      '-n, --namespace <ns>',
      'namespace for --selector (repeat for several; default "default")',
      (v: string, prev: string[] = []) => [...prev, v],
    )
    .option('--out <file>', 'the JSON-lines timeline to write')
    .option('--for <duration>', 'how long to record (Ctrl-C stops early)', '10m')
    .option(
      '--interval <duration>',
      "time between collections (default: the policy's evaluationInterval; 10s with --selector)",
    )
    .option('--prometheus-url <url>', 'Prometheus for PromQL triggers (env KUBESKIPPY_PROMETHEUS_URL)')
    .action(record);
}

/** --selector (with its namespaces) as the recorder's Selection; undefined with --policy. */
function selectionOf(flags: RecordFlags): Selection | undefined {
  if (flags.selector === undefined) return undefined;
  try {
    const namespaces = flags.namespace ?? ['default'];
    const labelSelector = parseLabelSelector(flags.selector);
    return { namespaces, text: flags.selector, ...(isEmpty(labelSelector) ? {} : { labelSelector }) };
  } catch (err) {
    throw new CliError(`--selector: ${(err as Error).message}`);
  }
}

async function configAndPolicy(
  flags: RecordFlags,
): Promise<{ config: ReturnType<typeof loadConfig>; policy?: PolicyFile }> {
  try {
    const config = loadConfig({
      ...(flags.kubeconfig ? { kubeconfig: flags.kubeconfig } : {}),
      ...(flags.prometheusUrl ? { prometheusUrl: flags.prometheusUrl } : {}),
    });
    return flags.policy ? { config, policy: await readPolicyFile(flags.policy) } : { config };
  } catch (err) {
    if (err instanceof ConfigError) throw new CliError(err.message);
    if (err instanceof PolicyFileError) throw new CliError(`--policy ${err.message}`);
    throw err;
  }
}

async function record(flags: RecordFlags): Promise<void> {
  if (!flags.policy === (flags.selector === undefined))
    throw new CliError('give exactly one of --policy FILE or --selector LABELS');
  if (flags.namespace && !flags.selector) throw new CliError('--namespace goes with --selector');
  if (!flags.out) throw new CliError('--out FILE is required');
  const selection = selectionOf(flags);
  const forMs = duration('--for', flags.for);
  const intervalMs = flags.interval !== undefined ? duration('--interval', flags.interval) : undefined;
  const { config, policy } = await configAndPolicy(flags);
  // Loaded on use: client-node takes seconds to load, which other commands should not pay.
  const [{ createKube, loadKubeConfig }, { recordTimeline, SELECTION_DEFAULT_INTERVAL_MS }] =
    await Promise.all([import('../../../activities/kube/clients.js'), import('../../backtest/recorder.js')]);
  let kube;
  try {
    kube = createKube(loadKubeConfig(config.kubeconfig));
  } catch (err) {
    throw new CliError(`--kubeconfig: ${(err as Error).message}`);
  }
  const stop = new AbortController();
  const onSignal = (): void => stop.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const every = formatDuration(
    intervalMs ?? policy?.policy.evaluationIntervalMs ?? SELECTION_DEFAULT_INTERVAL_MS,
  );
  const what = policy
    ? `${policy.namespace}/${policy.name}`
    : `pods in ${selection!.namespaces.join(', ')} matching "${selection!.text}"`;
  process.stderr.write(`recording ${what} every ${every} for ${flags.for} into ${flags.out}…\n`);
  const result = await recordTimeline({
    kube,
    ...(policy ? { policy } : { selection: selection! }),
    out: flags.out,
    durationMs: forMs,
    ...(intervalMs !== undefined ? { intervalMs } : {}),
    ...(config.prometheusUrl ? { collect: { prometheusUrl: config.prometheusUrl } } : {}),
    signal: stop.signal,
    onEntry: (e) => {
      if (e.kind === 'error') process.stderr.write(`collection failed: ${e.message}\n`);
    },
  });
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
  process.stdout.write(
    `recorded ${result.snapshots} snapshots (${result.errors} failed collections) into ${flags.out}\n`,
  );
  if (result.snapshots === 0) process.exitCode = 1;
}
