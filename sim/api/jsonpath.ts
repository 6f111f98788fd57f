// The JSONPath subset printer columns and scale subresources use: `.a.b`, `[0]`, `['k']`,
// `[?(@.type=="Ready")]`. Returns the first match, as the table convertor does.
type Seg = { key: string } | { index: number } | { filter: { path: string[]; value: string } };

function parse(path: string): Seg[] {
  const p = path
    .trim()
    .replace(/^\{(.*)\}$/, '$1')
    .replace(/^\$/, '');
  const segs: Seg[] = [];
  const re =
    /\.([^.[\]]+)|\[(\d+)\]|\['([^']*)'\]|\["([^"]*)"\]|\[\?\(@\.([\w.]+)\s*==\s*["']([^"']*)["']\)\]/gy;
  let m: RegExpExecArray | null;
  while ((m = re.exec(p))) {
    if (m[1] !== undefined) segs.push({ key: m[1] });
    else if (m[2] !== undefined) segs.push({ index: Number(m[2]) });
    else if (m[3] !== undefined || m[4] !== undefined) segs.push({ key: (m[3] ?? m[4])! });
    else segs.push({ filter: { path: m[5]!.split('.'), value: m[6]! } });
  }
  return segs;
}

const at = (v: unknown, keys: string[]): unknown =>
  keys.reduce<unknown>(
    (o, k) => (o !== null && typeof o === 'object' ? (o as Record<string, unknown>)[k] : undefined),
    v,
  );

export function evaluateJsonPath(obj: unknown, path: string): unknown {
  let cur: unknown = obj;
  for (const seg of parse(path)) {
    if (cur === undefined || cur === null) return undefined;
    if ('key' in seg) cur = at(cur, [seg.key]);
    else if ('index' in seg) cur = Array.isArray(cur) ? cur[seg.index] : undefined;
    else
      cur = Array.isArray(cur)
        ? cur.find((e) => String(at(e, seg.filter.path)) === seg.filter.value)
        : undefined;
  }
  return cur;
}

/** Writes `value` at a simple dotted path such as ".spec.replicas", creating objects on the way. */
export function setJsonPath(obj: Record<string, unknown>, path: string, value: unknown): void {
  const keys = parse(path).map((s) => ('key' in s ? s.key : String('index' in s ? s.index : '')));
  let cur = obj;
  keys.slice(0, -1).forEach((k) => {
    if (typeof cur[k] !== 'object' || cur[k] === null) cur[k] = {};
    cur = cur[k] as Record<string, unknown>;
  });
  cur[keys[keys.length - 1]!] = value;
}
