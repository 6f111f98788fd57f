// The one workflow that owns the cluster's kill switch and budget (id from domain/ids.ts
// clusterWorkflowId). The controller feeds it the KubeSkippyConfig named `cluster`
// (signal-with-start on every change); policies ask it before they start actions (the admitActions
// update, through an activity); actions tell it when they end. Because one workflow judges every
// admission in turn, two policies can never both take the last slot, and the ledger survives
// worker restarts (it is workflow state) and continue-as-new (it is carried in the input).
//
//   setClusterConfig ──▶ settings          admitActions ──▶ domain/cluster-budget.ts ──▶ verdicts
//   releaseAction    ──▶ ledger.running    status (query) ──▶ what the controller mirrors
import {
  allHandlersFinished,
  condition,
  continueAsNew,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import {
  admitActions,
  clusterView,
  emptyLedger,
  OPEN_CLUSTER,
  pruneLedger,
  releaseAction,
  type ClusterLedger,
  type ClusterSettings,
} from '../domain/cluster-budget.js';
import * as msg from './messages.js';

export interface ClusterWorkflowInput {
  settings?: ClusterSettings;
  /** Carried through continue-as-new; absent on the first run. */
  ledger?: ClusterLedger;
  /** Test hook: continue as new after this many history events (the server's suggestion also counts). */
  maxHistoryLength?: number;
}

/** Backstop when the server never suggests continue-as-new. */
const DEFAULT_MAX_HISTORY = 10_000;
/** How often an idle cluster prunes its ledger (expired starts and slots). */
const PRUNE_EVERY_MS = 10 * 60_000;

const MAX_REQUESTS = 1_000;

export async function clusterWorkflow(input: ClusterWorkflowInput = {}): Promise<void> {
  let settings: ClusterSettings = input.settings ?? OPEN_CLUSTER;
  let ledger: ClusterLedger = input.ledger ?? emptyLedger();
  // Signals before the update: messages that arrived before this run's first task wait in the SDK
  // until their handler is set, and each setHandler delivers its own at once. An admission buffered
  // with the releases that preceded it (a fresh run after continue-as-new) must see them applied,
  // or it is refused for slots already free.
  setHandler(msg.setClusterConfigSignal, (next) => void (settings = next));
  setHandler(msg.releaseActionSignal, (r) => void (ledger = releaseAction(ledger, r.workflowId)));
  setHandler(
    msg.admitActionsUpdate,
    (requests) => {
      const judged = admitActions(ledger, settings, requests, Date.now());
      ledger = judged.ledger;
      return judged.verdicts;
    },
    {
      validator: (requests) => {
        if (!Array.isArray(requests) || requests.length > MAX_REQUESTS)
          throw new Error(`admitActions: a list of at most ${MAX_REQUESTS} requests is required`);
        for (const r of requests)
          if (typeof r?.workflowId !== 'string' || typeof r.namespace !== 'string')
            throw new Error('admitActions: each request needs workflowId and namespace');
      },
    },
  );
  setHandler(msg.clusterStatusQuery, () => clusterView(ledger, settings, Date.now()));

  const tooLong = (): boolean => {
    const info = workflowInfo();
    return (
      info.continueAsNewSuggested || info.historyLength > (input.maxHistoryLength ?? DEFAULT_MAX_HISTORY)
    );
  };
  for (;;) {
    await condition(tooLong, PRUNE_EVERY_MS);
    ledger = pruneLedger(ledger, Date.now());
    if (!tooLong()) continue;
    await condition(allHandlersFinished);
    await continueAsNew<typeof clusterWorkflow>({ ...input, settings, ledger });
  }
}
