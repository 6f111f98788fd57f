// Reads a HealingPolicy from a YAML (or JSON) file, parsed and normalized exactly as the
// controller does before the policy workflow sees it, for `kubeskippy record` and `backtest`.
import { readFile } from 'node:fs/promises';
import { parseAllDocuments } from 'yaml';
import { formatErrors, parseHealingPolicySpec } from '../../crds/validate.js';
import { normalizePolicy } from '../../domain/policy.js';
import type { NormalizedPolicy } from '../../domain/policy-types.js';

export class PolicyFileError extends Error {
  override name = 'PolicyFileError';
}

export interface PolicyFile {
  file: string;
  namespace: string;
  name: string;
  policy: NormalizedPolicy;
}

interface PolicyObject {
  kind?: string;
  metadata?: { name?: string; namespace?: string; uid?: string; generation?: number };
  spec?: unknown;
}

/** The one HealingPolicy in `file` (other kinds in a multi-document file are ignored). */
export async function readPolicyFile(file: string): Promise<PolicyFile> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new PolicyFileError(`cannot read policy file ${file}: ${(err as Error).message}`);
  }
  const docs = parseAllDocuments(text);
  const broken = docs.find((d) => d.errors.length > 0);
  if (broken) throw new PolicyFileError(`${file} is not valid YAML: ${broken.errors[0]!.message}`);
  const policies = docs
    .map((d) => d.toJS() as PolicyObject | null)
    .filter((o): o is PolicyObject => o?.kind === 'HealingPolicy');
  if (policies.length !== 1)
    throw new PolicyFileError(
      `${file} must hold exactly one HealingPolicy (kind: HealingPolicy), found ${policies.length}`,
    );
  const obj = policies[0]!;
  const name = obj.metadata?.name;
  if (!name) throw new PolicyFileError(`${file}: metadata.name is required`);
  const namespace = obj.metadata?.namespace ?? 'default';
  const parsed = parseHealingPolicySpec(obj.spec);
  if (!parsed.ok) throw new PolicyFileError(`${file}: ${formatErrors(parsed.errors)}`);
  const policy = normalizePolicy(parsed.value, {
    namespace,
    name,
    ...(obj.metadata?.uid ? { uid: obj.metadata.uid } : {}),
    ...(obj.metadata?.generation !== undefined ? { generation: obj.metadata.generation } : {}),
  });
  return { file, namespace, name, policy };
}
