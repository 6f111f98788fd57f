// Registers the KubeSkippy search attributes on a Temporal namespace. The dev server gets them
// as `--search-attribute` flags at start; an existing server (shared dev server, a real cluster)
// gets them through the operator service, so both paths end in the same verified state.
import type { Connection } from '@temporalio/client';
import type { SearchAttributeType } from '@temporalio/common';
import type { SearchAttributeKey } from '@temporalio/common/lib/search-attributes.js';
import { encodeSearchAttributeIndexedValueType } from '@temporalio/common/lib/search-attributes.js';
import { kubeSkippySearchAttributes } from '../workflows/search-attributes.js';

export * from '../workflows/search-attributes.js';

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
      throw new Error(
        `search attribute ${key.name} exists on namespace "${namespace}" with another type ` +
          `(expected ${cliTypeNames[key.type]}); remove it with ` +
          `\`temporal operator search-attribute remove --name ${key.name}\` and restart`,
      );
    }
  }
  return missing;
}
