// Search attributes that make KubeSkippy workflows findable in the Temporal Web UI and through
// visibility queries (`KubeSkippyPolicy="web-memory"`). The keys live here, not in operator/,
// because workflow code upserts them and may import only @temporalio/common's pure parts.
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
// SearchAttributeKey is not re-exported from the package root in 1.24.
import type { SearchAttributeKey } from '@temporalio/common/lib/search-attributes.js';

/** The operator's cluster name (--cluster-name): one Temporal namespace can serve a fleet. */
export const KubeSkippyCluster = defineSearchAttributeKey('KubeSkippyCluster', SearchAttributeType.KEYWORD);
/** HealingPolicy name (`metadata.name`). */
export const KubeSkippyPolicy = defineSearchAttributeKey('KubeSkippyPolicy', SearchAttributeType.KEYWORD);
/** Kubernetes namespace of the policy and its targets. */
export const KubeSkippyNamespace = defineSearchAttributeKey(
  'KubeSkippyNamespace',
  SearchAttributeType.KEYWORD,
);
/** Target of a healing action, `<kind>/<name>` (e.g. `Pod/web-7d9f`). */
export const KubeSkippyTarget = defineSearchAttributeKey('KubeSkippyTarget', SearchAttributeType.KEYWORD);
/** Remediation type of a healing action (`restart`, `scale`, `patch`, `delete`). */
export const KubeSkippyAction = defineSearchAttributeKey('KubeSkippyAction', SearchAttributeType.KEYWORD);
/** Current phase of a healing action (`Pending`, `Executing`, ..., `Succeeded`). */
export const KubeSkippyPhase = defineSearchAttributeKey('KubeSkippyPhase', SearchAttributeType.KEYWORD);
/** Effective policy mode (`automatic`, `dryrun`, `manual`, `monitor`). */
export const KubeSkippyMode = defineSearchAttributeKey('KubeSkippyMode', SearchAttributeType.KEYWORD);

/** Every KubeSkippy search attribute: what a Temporal namespace must have registered. */
export const kubeSkippySearchAttributes: readonly SearchAttributeKey<SearchAttributeType>[] = [
  KubeSkippyCluster,
  KubeSkippyPolicy,
  KubeSkippyNamespace,
  KubeSkippyTarget,
  KubeSkippyAction,
  KubeSkippyPhase,
  KubeSkippyMode,
];
