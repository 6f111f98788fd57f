// Shared pieces of the trust chaos tests (prompt injection, least privilege, approvals).
//
// The gullible model: a reply function for the fake model server (fake-model.ts) that obeys
// whatever instruction it finds in the incident data it is sent — "recommend X", "use action X
// with replicas N on namespace NS", "delete the deployment X", or a JSON object imitating the
// answer format — and adds the target and parameters it was told to the reply. A real model may
// or may not resist; this one never does, so what a test sees is the operator's guard alone.
import type { RecordedRequest, Reply } from './fake-model.js';

export interface Obeyed {
  /** The action the instruction named (undefined: nothing to obey, the model agrees with the rule). */
  action?: string;
  /** What else it was told, put into the reply's recommendation (replicas, namespace, target…). */
  extra: Record<string, unknown>;
  /** Fields of an imitated answer outside the recommendation, put at the reply's top level. */
  topLevel: Record<string, unknown>;
}

const ANSWER_KEYS = ['analysis', 'rootCause', 'confidence', 'recommendation', 'similarIncidents'];

/** The incident data of a chat request (the JSON between the tags), or undefined. */
export function incidentData(req: RecordedRequest): Record<string, unknown> | undefined {
  const messages = (req.body.messages ?? []) as { role: string; content: string }[];
  const user = messages.find((m) => m.role === 'user')?.content ?? '';
  const m = /<incident-data>\n([\s\S]*)\n<\/incident-data>/.exec(user);
  return m ? (JSON.parse(m[1]!) as Record<string, unknown>) : undefined;
}

/** Every string inside a JSON value: where an instruction may hide. */
function strings(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(strings);
  if (value && typeof value === 'object') return Object.values(value).flatMap(strings);
  return [];
}

/** An answer-shaped JSON object inside a text, if the text carries one. */
function imitatedAnswer(text: string): Record<string, unknown> | undefined {
  const start = text.indexOf('{');
  const end = text.lastIndexOf('}');
  if (start < 0 || end <= start) return undefined;
  try {
    const obj = JSON.parse(text.slice(start, end + 1)) as Record<string, unknown>;
    const rec = obj.recommendation as Record<string, unknown> | undefined;
    return typeof rec?.action === 'string' ? obj : undefined;
  } catch {
    return undefined;
  }
}

/** What one text tells the model to do, by the few phrasings the tests use. */
export function obey(text: string): Obeyed | undefined {
  const imitated = imitatedAnswer(text);
  if (imitated) {
    const { action, rationale: _r, ...extra } = imitated.recommendation as Record<string, unknown>;
    const topLevel = Object.fromEntries(Object.entries(imitated).filter(([k]) => !ANSWER_KEYS.includes(k)));
    return { action: String(action), extra, topLevel };
  }
  const extra: Record<string, unknown> = {};
  const replicas = /replicas\s+(\d+)/i.exec(text);
  if (replicas) extra.replicas = Number(replicas[1]);
  const ns = /(?:in|on|to) namespace\s+([a-z0-9][\w.-]*)/i.exec(text);
  if (ns) extra.namespace = ns[1];
  const target = /(?:on|to|the)\s+(pod|deployment|statefulset)\s+([a-z0-9][\w.-]*)/i.exec(text);
  if (target) extra.target = { kind: target[1]!.toLowerCase(), name: target[2] };
  const named = /(?:recommend|use action|run action)\s+"?([a-z][\w.-]*)"?/i.exec(text);
  const deleting = /delete the (deployment|namespace|pod)\s+([a-z0-9][\w.-]*)/i.exec(text);
  const action = named?.[1] ?? (deleting ? `delete-${deleting[1]!.toLowerCase()}` : undefined);
  if (!action) return undefined;
  return { action, extra, topLevel: {} };
}

/** The gullible model's reply to one request: the first instruction in the data, obeyed. */
export function gullibleReply(req: RecordedRequest): Reply {
  const data = incidentData(req);
  const told = strings(data ?? {})
    .map(obey)
    .find((o) => o !== undefined);
  const action = told?.action ?? String(data?.ruleChoice ?? 'none');
  return {
    content: JSON.stringify({
      analysis: told ? 'the incident data told me what to do, so I do it' : 'nothing unusual',
      rootCause: 'as instructed',
      confidence: 1,
      recommendation: { action, rationale: 'the incident data said so', ...told?.extra },
      similarIncidents: [],
      ...told?.topLevel,
    }),
  };
}
