// The words and labels an AI analysis leaves behind: the Event line a user reads in
// `kubectl describe`, and the bounded reason code the metrics are labelled with.
import { describe, expect, it } from 'vitest';
import { aiEventMessage, aiReasonCode } from '../../domain/ai-verdict.js';

describe('aiReasonCode', () => {
  it.each([
    ['Followed: decide mode runs scale-up instead of restart', 'Followed'],
    [
      "BelowMinConfidence: confidence 0.40 is below minConfidence 0.70; the rule's action restart runs",
      'BelowMinConfidence',
    ],
    ['AiUnavailable: ollama model x unavailable: fetch failed', 'AiUnavailable'],
    ['', 'Unknown'],
  ])('%j → %s', (reason, code) => {
    expect(aiReasonCode({ reason })).toBe(code);
  });

  it('is Unknown without a reason', () => {
    expect(aiReasonCode({})).toBe('Unknown');
  });
});

describe('aiEventMessage', () => {
  it('says what the model recommended, how sure it was, the root cause, and what was done', () => {
    expect(
      aiEventMessage({
        model: 'llama3.2',
        confidence: 0.9,
        rootCause: 'heap grows without bound',
        recommendation: 'restart',
        followed: true,
        reason: 'Followed: the model agrees with restart',
      }),
    ).toBe(
      'llama3.2 recommends restart (confidence 0.90); root cause: heap grows without bound; ' +
        'followed: Followed: the model agrees with restart',
    );
  });

  it('says plainly when the model gave no analysis', () => {
    expect(
      aiEventMessage({
        model: 'gpt-test',
        followed: false,
        reason: "AiTimeout: no answer; the rule's action runs",
      }),
    ).toBe("gpt-test gave no analysis: AiTimeout: no answer; the rule's action runs");
  });

  it('keeps a long root cause short', () => {
    const msg = aiEventMessage({ confidence: 0.8, rootCause: 'x'.repeat(2000), reason: 'AdviseOnly: ...' });
    expect(msg.length).toBeLessThan(400);
    expect(msg).toMatch(
      /^the model recommends none \(confidence 0\.80\); root cause: x+…; not followed: AdviseOnly/,
    );
  });
});
