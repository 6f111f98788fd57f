// safetyRules.ineffectiveRemediation: when the same fix keeps not lasting on the same workload, stop
// repeating it. An attempt is ineffective when its HealingAction Failed, or when it Succeeded and the
// same trigger fired again on the same workload within `window` (a relapse: a memory leak that
// returns after every restart). `maxIneffective` such attempts of one (trigger, action, workload)
// within `window` put that action on hold there for `holdDuration`; `then` says what happens
// instead. domain/ineffective.ts holds the logic; the schema bounds every value, so kubectl refuses
// a bad one naming the field.
import { z } from 'zod';
import { PositiveDuration, WindowDuration } from './common.js';

export const IneffectiveThen = z
  .enum(['nextAction', 'approval', 'hold'])
  .describe(
    'What happens instead of repeating a held action. nextAction: the next action of the ' +
      "trigger's ladder runs; when no other action applies, the held one runs only after a person " +
      'approves it. approval: the held action runs again only after a person approves it. hold: ' +
      'nothing runs for that trigger on that workload until the hold ends (refusal reason ' +
      'IneffectiveRemediation).',
  );
export type IneffectiveThen = z.infer<typeof IneffectiveThen>;

export const IneffectiveRemediation = z
  .object({
    enabled: z
      .boolean()
      .default(true)
      .describe('Detect ineffective fixes. false: actions are repeated however often they relapse.'),
    maxIneffective: z
      .number()
      .int()
      .min(1)
      .max(100)
      .default(3)
      .describe(
        'Ineffective attempts (Failed, or Succeeded and the trigger fired again on the same workload) ' +
          'of one action for one trigger on one workload, within window, that put the action on hold there.',
      ),
    window: WindowDuration.default('1h').describe(
      'How long an attempt counts as evidence, and how soon after a success a new fire counts as a ' +
        'relapse; longer than 0s, at most 168h.',
    ),
    then: IneffectiveThen.default('nextAction'),
    holdDuration: PositiveDuration.optional().describe(
      "How long the action stays on hold unless cleared sooner (the policy workflow's clearHold update). " +
        'Default: safetyRules.holdDuration.',
    ),
  })
  .describe(
    'Stop repeating a fix that does not last: counted per (trigger, action, workload), across pod ' +
      'replacements and policy edits. Default: on, 3 ineffective attempts within 1h, then the next action.',
  );
export type IneffectiveRemediation = z.infer<typeof IneffectiveRemediation>;

/** One attempt of a held action, as the policy status lists it. */
export const IneffectiveAttemptStatus = z.object({
  healingAction: z.string().describe('The HealingAction of the attempt.'),
  outcome: z.enum(['Succeeded', 'Failed']).describe('How it ended.'),
  startTime: z.string().describe('When it was planned (RFC 3339).'),
  completionTime: z.string().describe('When it ended (RFC 3339).'),
  relapseTime: z
    .string()
    .optional()
    .describe('For a Succeeded attempt: when the trigger fired again on the workload (RFC 3339).'),
});

/** An action on hold on one workload for one trigger, with the attempts that prove it ineffective. */
export const IneffectiveHoldStatus = z.object({
  workload: z.string().describe('namespace/Kind/name of the workload (or a pod without owner).'),
  trigger: z.string().describe('The trigger the action answered.'),
  action: z.string().describe('The action on hold.'),
  since: z.string().describe('When the hold began (RFC 3339).'),
  until: z.string().describe('When the hold ends unless cleared sooner (RFC 3339).'),
  then: IneffectiveThen,
  message: z.string().describe('Why, in words.'),
  evidence: z.array(IneffectiveAttemptStatus).describe('The attempts, oldest first.'),
});
export type IneffectiveHoldStatus = z.infer<typeof IneffectiveHoldStatus>;

/** Used by HealingPolicyStatus: bounded like the domain state it mirrors. */
export const IneffectiveHolds = z
  .array(IneffectiveHoldStatus)
  .describe('Actions on hold because they did not last (safetyRules.ineffectiveRemediation).');

/** Why a HealingAction runs the rung it runs (or waits for a person), when a held action was passed over. */
export const LadderChoice = z.object({
  reason: z.literal('IneffectiveRemediation').describe('Why the usual action was not run.'),
  message: z.string().describe('Which action was passed over, on what evidence, and what runs instead.'),
  passedOver: z.array(z.string()).describe('The actions on hold that were passed over.'),
});
export type LadderChoice = z.infer<typeof LadderChoice>;
