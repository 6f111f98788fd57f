// Workflow histories as proto3 JSON (the format `temporal workflow show --output json` and the
// Web UI's download use), read and written with the protobufjs copy that @temporalio/proto itself
// was generated with.
//
// Why not @temporalio/common's historyToJSON/historyFromJSON: in this install @temporalio/common
// and @temporalio/proto each get their own protobufjs 8 (the root node_modules holds protobufjs 7
// for @grpc/proto-loader), so common's `instanceof Type` check rejects proto's types and both
// functions throw "type must be a Type". Resolving protobufjs from @temporalio/proto's location
// keeps the reflection types and the converter on one copy, whatever npm hoists.
import { createRequire } from 'node:module';
import type { temporal } from '@temporalio/proto';

export type History = temporal.api.history.v1.IHistory;

interface ProtoJson {
  toJson(type: unknown, message: unknown): unknown;
  fromJson(type: unknown, json: unknown, options?: { ignoreUnknownFields?: boolean }): unknown;
}
interface HistoryType {
  fromObject(o: unknown): unknown;
}

const require = createRequire(import.meta.url);
const protoEntry = require.resolve('@temporalio/proto');
const protojson = createRequire(protoEntry)('protobufjs/ext/protojson') as ProtoJson;
const proto = require('@temporalio/proto') as {
  temporal: { api: { history: { v1: { History: HistoryType } } } };
};
const { patchProtobufRoot } = require('@temporalio/proto/lib/patch-protobuf-root') as {
  patchProtobufRoot(root: unknown): { lookupType(name: string): unknown };
};
const historyType = patchProtobufRoot(proto).lookupType('temporal.api.history.v1.History');

/** A History (as fetchHistory returns it) as a proto3 JSON value. */
export function historyToJson(history: History): unknown {
  return protojson.toJson(historyType, proto.temporal.api.history.v1.History.fromObject(history));
}

/**
 * A proto3 JSON history back to a History. Also accepts the older tools' enum spelling
 * ("WorkflowExecutionStarted" for "EVENT_TYPE_WORKFLOW_EXECUTION_STARTED"), as the SDK does.
 */
export function historyFromJson(json: unknown): History {
  const h = json as { events?: Record<string, unknown>[] };
  if (typeof h !== 'object' || h === null || !Array.isArray(h.events))
    throw new TypeError('not a workflow history: expected an object with an "events" array');
  const events = h.events.map((e) => fixEnums(e));
  const history = protojson.fromJson(historyType, { ...h, events }, { ignoreUnknownFields: true });
  if (!history) throw new TypeError('not a workflow history');
  return history as History;
}

const ENUM_PREFIX: Record<string, string> = {
  eventType: 'EVENT_TYPE',
  kind: 'TASK_QUEUE_KIND',
  parentClosePolicy: 'PARENT_CLOSE_POLICY',
  workflowIdReusePolicy: 'WORKFLOW_ID_REUSE_POLICY',
  initiator: 'CONTINUE_AS_NEW_INITIATOR',
  retryState: 'RETRY_STATE',
};

function fixEnums(value: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    const prefix = ENUM_PREFIX[k];
    if (prefix && typeof v === 'string' && !v.startsWith(prefix))
      out[k] = `${prefix}_${v.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase()}`;
    else if (v && typeof v === 'object' && !Array.isArray(v)) out[k] = fixEnums(v as Record<string, unknown>);
    else out[k] = v;
  }
  return out;
}
