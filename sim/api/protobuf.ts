// Decoding of Kubernetes protobuf request bodies. kubectl's typed clients (`kubectl create
// namespace|configmap`, `kubectl drain`'s evictions and deletes) send
// application/vnd.kubernetes.protobuf and client-go does not fall back to JSON on 415, so the
// kinds those commands write are decoded here; any other kind answers 415. Field numbers are
// those of k8s.io/api and k8s.io/apimachinery generated.proto.
import { ApiError } from './errors.js';

type Field = [
  name: string,
  type: 'string' | 'int' | 'bool' | 'bytes' | 'map' | 'bytesMap' | Schema,
  repeated?: boolean,
];
interface Schema {
  [num: number]: Field;
}

const TIME: Schema = { 1: ['seconds', 'int'], 2: ['nanos', 'int'] };
const OWNER_REF: Schema = {
  1: ['kind', 'string'],
  3: ['name', 'string'],
  4: ['uid', 'string'],
  5: ['apiVersion', 'string'],
  6: ['controller', 'bool'],
  7: ['blockOwnerDeletion', 'bool'],
};
const OBJECT_META: Schema = {
  1: ['name', 'string'],
  2: ['generateName', 'string'],
  3: ['namespace', 'string'],
  5: ['uid', 'string'],
  6: ['resourceVersion', 'string'],
  7: ['generation', 'int'],
  8: ['creationTimestamp', TIME],
  11: ['labels', 'map'],
  12: ['annotations', 'map'],
  13: ['ownerReferences', OWNER_REF, true],
  14: ['finalizers', 'string', true],
};
const PRECONDITIONS: Schema = { 1: ['uid', 'string'], 2: ['resourceVersion', 'string'] };
const DELETE_OPTIONS: Schema = {
  1: ['gracePeriodSeconds', 'int'],
  2: ['preconditions', PRECONDITIONS],
  3: ['orphanDependents', 'bool'],
  4: ['propagationPolicy', 'string'],
  5: ['dryRun', 'string', true],
};

/** Top-level kinds by "apiVersion/kind". */
const KINDS: Record<string, Schema> = {
  'v1/Namespace': { 1: ['metadata', OBJECT_META], 2: ['spec', { 1: ['finalizers', 'string', true] }] },
  'v1/ConfigMap': {
    1: ['metadata', OBJECT_META],
    2: ['data', 'map'],
    3: ['binaryData', 'bytesMap'],
    4: ['immutable', 'bool'],
  },
  'policy/v1/Eviction': { 1: ['metadata', OBJECT_META], 2: ['deleteOptions', DELETE_OPTIONS] },
  'meta.k8s.io/v1/DeleteOptions': DELETE_OPTIONS,
  'v1/DeleteOptions': DELETE_OPTIONS,
};
const UNKNOWN: Schema = {
  1: ['typeMeta', { 1: ['apiVersion', 'string'], 2: ['kind', 'string'] }],
  2: ['raw', 'bytes'],
};

class Reader {
  pos = 0;
  constructor(
    readonly buf: Buffer,
    readonly end = buf.length,
  ) {}
  varint(): bigint {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      const b = this.buf[this.pos++];
      if (b === undefined) throw new Error('truncated varint');
      result |= BigInt(b & 0x7f) << shift;
      if (!(b & 0x80)) return result;
      shift += 7n;
    }
  }
  bytes(): Buffer {
    const len = Number(this.varint());
    const out = this.buf.subarray(this.pos, this.pos + len);
    this.pos += len;
    return out;
  }
}

function decodeMessage(buf: Buffer, schema: Schema): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const r = new Reader(buf);
  while (r.pos < r.end) {
    const tag = Number(r.varint());
    const num = tag >> 3;
    const wire = tag & 7;
    const field = schema[num];
    let value: unknown;
    if (wire === 0) value = r.varint();
    else if (wire === 2) value = r.bytes();
    else if (wire === 1) r.pos += 8;
    else if (wire === 5) r.pos += 4;
    else throw new Error(`unsupported wire type ${wire}`);
    if (!field) continue; // fields this simulation does not model are skipped, as unknown fields
    const [name, type, repeated] = field;
    let v: unknown;
    if (type === 'string') v = (value as Buffer).toString('utf8');
    else if (type === 'int') v = Number(BigInt.asIntN(64, value as bigint));
    else if (type === 'bool') v = value !== 0n;
    else if (type === 'bytes') v = value;
    else if (type === 'map' || type === 'bytesMap') {
      const e = decodeMessage(value as Buffer, {
        1: ['key', 'string'],
        2: ['value', type === 'map' ? 'string' : 'bytes'],
      });
      const m = (out[name] ??= {}) as Record<string, unknown>;
      m[String(e.key ?? '')] =
        type === 'map'
          ? (e.value ?? '')
          : ((e.value as Buffer | undefined) ?? Buffer.alloc(0)).toString('base64');
      continue;
    } else v = decodeMessage(value as Buffer, type);
    if (repeated) ((out[name] ??= []) as unknown[]).push(v);
    else out[name] = v;
  }
  return out;
}

const toIso = (t: { seconds?: number }): string =>
  new Date((t.seconds ?? 0) * 1000).toISOString().replace('.000Z', 'Z');

/** Decodes a `k8s\0`-prefixed runtime.Unknown envelope into the JSON the rest of the server expects. */
export function decodeKubernetesProtobuf(body: Buffer): Record<string, unknown> {
  const magic = Buffer.from([0x6b, 0x38, 0x73, 0x00]);
  if (!body.subarray(0, 4).equals(magic))
    throw new ApiError(400, 'BadRequest', 'protobuf body without the k8s envelope');
  const unknown = decodeMessage(body.subarray(4), UNKNOWN) as {
    typeMeta?: { apiVersion?: string; kind?: string };
    raw?: Buffer;
  };
  const { apiVersion = '', kind = '' } = unknown.typeMeta ?? {};
  const schema = KINDS[`${apiVersion}/${kind}`];
  if (!schema) {
    throw new ApiError(
      415,
      'UnsupportedMediaType',
      `the simulated cluster decodes protobuf only for ${Object.keys(KINDS).join(', ')} (got ${apiVersion}/${kind}); send application/json (e.g. kubectl apply)`,
    );
  }
  const obj = decodeMessage(unknown.raw ?? Buffer.alloc(0), schema);
  const md = obj.metadata as Record<string, unknown> | undefined;
  if (md?.creationTimestamp) md.creationTimestamp = toIso(md.creationTimestamp as { seconds?: number });
  return { apiVersion, kind, ...obj };
}
