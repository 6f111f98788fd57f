// Telling the policy workflow about an action (it ended, or the AI moved it), from the action.
import { getExternalWorkflowHandle, type SignalDefinition } from '@temporalio/workflow';

/** Signals the policy workflow; when it is gone (its CR was deleted) there is nobody to tell. */
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
