// requireSearchAttributes where the server will not register attributes (Temporal Cloud manages
// them with tcld; a self-hosted API key may lack the permission). The dev-server paths (register,
// wrong type) are tested for real in test/integration/operator-search-attributes.test.ts.
import type { ConnectionLike } from '@temporalio/client';
import { encodeSearchAttributeIndexedValueType as indexedType } from '@temporalio/common/lib/search-attributes.js';
import { describe, expect, it } from 'vitest';
import { kubeSkippySearchAttributes, requireSearchAttributes } from '../../operator/search-attributes.js';

const PERMISSION_DENIED = Object.assign(new Error('7 PERMISSION_DENIED: Request unauthorized.'), { code: 7 });
const all = Object.fromEntries(kubeSkippySearchAttributes.map((k) => [k.name, indexedType(k.type)!]));

/** An operator service that refuses to add, and lists `listed` (or fails to list). */
function refusing(listed: Record<string, number> | Error): Pick<ConnectionLike, 'operatorService'> {
  return {
    operatorService: {
      addSearchAttributes: () => Promise.reject(PERMISSION_DENIED),
      listSearchAttributes: () =>
        listed instanceof Error ? Promise.reject(listed) : Promise.resolve({ customAttributes: listed }),
    },
  } as unknown as Pick<ConnectionLike, 'operatorService'>;
}

describe('requireSearchAttributes when the server will not register them', () => {
  it('refuses to start, naming each missing attribute and the command that adds it', async () => {
    const { KubeSkippyCluster: _, ...withoutCluster } = all;
    const warnings: string[] = [];
    const err = await requireSearchAttributes(refusing(withoutCluster), 'prod', (m) =>
      warnings.push(m),
    ).catch((e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toMatch(
      /^search attributes KubeSkippyCluster are missing on namespace "prod"/,
    );
    expect((err as Error).message).toContain('PERMISSION_DENIED');
    expect((err as Error).message).toContain(
      'temporal operator search-attribute create --namespace prod --name KubeSkippyCluster --type Keyword',
    );
    expect((err as Error).message).toContain('tcld namespace search-attributes add');
    expect(warnings).toEqual([]);
  });

  it('starts when all are there already (nothing to register)', async () => {
    await expect(requireSearchAttributes(refusing(all), 'prod', () => undefined)).resolves.toEqual([]);
  });

  it('goes on with a warning when even the list cannot be read', async () => {
    const warnings: string[] = [];
    const unreadable = refusing(PERMISSION_DENIED);
    await expect(requireSearchAttributes(unreadable, 'prod', (m) => warnings.push(m))).resolves.toEqual([]);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(
      /could not check the search attributes on namespace "prod" \(7 PERMISSION_DENIED/,
    );
    expect(warnings[0]).toContain('KubeSkippyCluster');
  });

  it('refuses one of another type even when the list is all it can read', async () => {
    const wrong = { ...all, KubeSkippyPolicy: indexedType('TEXT')! };
    await expect(requireSearchAttributes(refusing(wrong), 'prod', () => undefined)).rejects.toThrow(
      /search attribute KubeSkippyPolicy exists on namespace "prod" with another type \(expected Keyword\)/,
    );
  });
});
