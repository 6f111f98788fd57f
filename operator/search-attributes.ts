// Registers the KubeSkippy search attributes on a Temporal namespace. The dev server gets them
// as `--search-attribute` flags at start; an existing server (shared dev server, a real cluster)
// gets them through the operator service, so both paths end in the same verified state.
import type { ConnectionLike } from '@temporalio/client';
import type { SearchAttributeType } from '@temporalio/common';
import type { SearchAttributeKey } from '@temporalio/common/lib/search-attributes.js';
import { encodeSearchAttributeIndexedValueType } from '@temporalio/common/lib/search-attributes.js';
import { kubeSkippySearchAttributes } from '../workflows/search-attributes.js';

export * from '../workflows/search-attributes.js';

// Only the operator service is used: a Client's connection will do as well as a Connection.
type Connection = Pick<ConnectionLike, 'operatorService'>;

type AnyKey = SearchAttributeKey<SearchAttributeType>;

// The `temporal` CLI spells types in PascalCase (`--search-attribute Name=Keyword`).
const cliTypeNames: Record<SearchAttributeType, string> = {
  TEXT: 'Text',
  KEYWORD: 'Keyword',
  INT: 'Int',
  DOUBLE: 'Double',
  BOOL: 'Bool',
  DATETIME: 'Datetime',
  KEYWORD_LIST: 'KeywordList',
};

/** `Name=Type` values for `temporal server start-dev --search-attribute`. */
export function searchAttributeFlagValues(keys: readonly AnyKey[] = kubeSkippySearchAttributes): string[] {
  return keys.map((key) => `${key.name}=${cliTypeNames[key.type]}`);
}

// gRPC status code returned when another process registered the same attribute first.
const ALREADY_EXISTS = 6;

/**
 * Makes sure every KubeSkippy search attribute exists on `namespace` with the right type, adding
 * the missing ones. Throws when one exists with another type: silently using it would make
 * upserts fail inside workflows, far from the cause. Returns the names it added.
 */
export async function ensureSearchAttributes(
  connection: Connection,
  namespace: string,
  keys: readonly AnyKey[] = kubeSkippySearchAttributes,
): Promise<string[]> {
  const missing = await findMissing(connection, namespace, keys);
  if (missing.length === 0) return [];
  const searchAttributes = Object.fromEntries(
    missing.map((key) => [key.name, encodeSearchAttributeIndexedValueType(key.type)!]),
  );
  try {
    await connection.operatorService.addSearchAttributes({ namespace, searchAttributes });
  } catch (err) {
    if ((err as { code?: unknown }).code !== ALREADY_EXISTS) throw err;
  }
  const stillMissing = await findMissing(connection, namespace, keys);
  if (stillMissing.length > 0) {
    throw new Error(
      `search attributes ${stillMissing.map((k) => k.name).join(', ')} are still missing on namespace ` +
        `"${namespace}" after registering them`,
    );
  }
  return missing.map((key) => key.name);
}

/** A KubeSkippy attribute exists with another type: upserts would fail, and only a person can fix it. */
export class SearchAttributeTypeError extends Error {
  override name = 'SearchAttributeTypeError';
}

/**
 * What the controller runs before it starts any workflow: the workflows upsert these attributes,
 * and a missing one fails each upsert inside a workflow task, far from the cause (a namespace
 * registered by hand, an upgrade that added KubeSkippyCluster). Registers the missing ones where
 * the server allows it (self-hosted, dev server). Where it does not (Temporal Cloud manages them with
 * tcld), it refuses to start with the names and the command. If even the list cannot be read, it
 * says so and goes on: the operator cannot tell, and the workflows will report it.
 */
export async function requireSearchAttributes(
  connection: Connection,
  namespace: string,
  warn: (message: string) => void,
  keys: readonly AnyKey[] = kubeSkippySearchAttributes,
): Promise<string[]> {
  try {
    return await ensureSearchAttributes(connection, namespace, keys);
  } catch (err) {
    if (err instanceof SearchAttributeTypeError) throw err;
    let missing: AnyKey[];
    try {
      missing = await findMissing(connection, namespace, keys);
    } catch (listErr) {
      if (listErr instanceof SearchAttributeTypeError) throw listErr;
      warn(
        `could not check the search attributes on namespace "${namespace}" (${(listErr as Error).message}); ` +
          `if any of ${keys.map((k) => k.name).join(', ')} is missing, the workflows will fail to upsert it`,
      );
      return [];
    }
    if (missing.length === 0) return [];
    const names = missing.map((k) => k.name);
    throw new Error(
      `search attributes ${names.join(', ')} are missing on namespace "${namespace}" and could not be ` +
        `registered (${(err as Error).message}); add them (self-hosted: \`temporal operator ` +
        `search-attribute create --namespace ${namespace} ${missing.map((k) => `--name ${k.name} --type ${cliTypeNames[k.type]}`).join(' ')}\`; ` +
        `Temporal Cloud: \`tcld namespace search-attributes add\`) and start the operator again`,
    );
  }
}

async function findMissing(
  connection: Connection,
  namespace: string,
  keys: readonly AnyKey[],
): Promise<AnyKey[]> {
  const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace });
  const existing = customAttributes ?? {};
  const missing: AnyKey[] = [];
  for (const key of keys) {
    const actual = existing[key.name];
    if (actual === undefined || actual === null) {
      missing.push(key);
    } else if (actual !== encodeSearchAttributeIndexedValueType(key.type)) {
      throw new SearchAttributeTypeError(
        `search attribute ${key.name} exists on namespace "${namespace}" with another type ` +
          `(expected ${cliTypeNames[key.type]}); remove it with ` +
          `\`temporal operator search-attribute remove --name ${key.name}\` and restart`,
      );
    }
  }
  return missing;
}
