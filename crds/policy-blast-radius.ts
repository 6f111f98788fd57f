// safetyRules.maxUnavailable: how much of any Service an action may take out of service at once,
// as a count of endpoints or a percentage of the Service's ready endpoints — an IntOrString as a
// PodDisruptionBudget's maxUnavailable is, with the same rounding (a percentage rounds up). The
// live safety check applies it (domain/blast-radius.ts checkMaxUnavailable, reason MaxUnavailable).
import { z } from 'zod';
import { withRules } from './cel.js';

/** A whole percentage from 0% to 100%: what Kubernetes accepts for a PDB's maxUnavailable. */
const PERCENT = /^([0-9]|[1-9][0-9]|100)%$/;
const MESSAGE = 'must be a count of 0 or more, or a percentage from 0% to 100% such as "25%"';

export const MaxUnavailable = withRules(z.union([z.number().int(), z.string()]), [
  {
    // Both branches in one rule: x-kubernetes-int-or-string drops each branch's own bounds.
    rule: "type(self) == int ? self >= 0 : self.matches('^([0-9]|[1-9][0-9]|100)%$')",
    check: (v) => ((typeof v === 'number' ? v >= 0 : PERCENT.test(v)) ? undefined : MESSAGE),
    message: MESSAGE,
  },
]).describe(
  'Most endpoints of any one Service that selects the target an action may take out of service at ' +
    'once: a count, or a percentage of the ready endpoints (rounded up, as a PodDisruptionBudget ' +
    'rounds). Above it the action ends Skipped (reason MaxUnavailable). Unset: no limit.',
);
export type MaxUnavailable = z.infer<typeof MaxUnavailable>;
