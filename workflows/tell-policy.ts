// Telling another workflow: the policy about an action (it ended, or the AI moved it), an action
// about its alert (it resolved).
import { getExternalWorkflowHandle, type SignalDefinition } from '@temporalio/workflow';

/** Signals the workflow; when it is gone (its CR was deleted, the action ended) there is nobody to tell. */
export async function tellPolicy<T>(
  policyWorkflowId: string,
  signal: SignalDefinition<[T]>,
  arg: T,
): Promise<void> {
  try {
    await getExternalWorkflowHandle(policyWorkflowId).signal(signal, arg);
  } catch {
    // The record is complete without it.
  }
}
