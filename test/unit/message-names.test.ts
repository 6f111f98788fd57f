// Clients (controller, CLI, demo, approval relay, tests) name workflows and messages through the
// definitions in workflows/messages.ts, never by string: a renamed message then fails to compile
// instead of failing at run time, and the payload types come with the definition.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { healingActionWorkflow } from '../../workflows/healing-action-workflow.js';
import * as messages from '../../workflows/messages.js';
import { policyWorkflow } from '../../workflows/policy-workflow.js';

const root = path.resolve(import.meta.dirname, '../..');
const SKIP = new Set(['node_modules', '.git', 'workflows', 'deploy', 'docs', 'sim']);

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) return SKIP.has(e.name) || e.name.startsWith('.') ? [] : sources(full);
    return /\.(ts|js)$/.test(e.name) ? [full] : [];
  });
}

// A client call or a visibility filter whose workflow or message name is a string literal.
const BY_STRING = [
  /\.(query|signal|executeUpdate|startUpdate|executeUpdateWithStart|signalWithStart|start|execute)\s*(<[^()]*>)?\s*\(\s*['"`]/,
  /WithStartWorkflowOperation\s*(<[^()]*>)?\s*\(\s*['"`]/,
  /WorkflowType\s*=\s*\\?["'](?!\$)/,
];

describe('workflow and message names', () => {
  it('the workflow type constants are the registered functions’ names', () => {
    expect(policyWorkflow.name).toBe(messages.POLICY_WORKFLOW);
    expect(healingActionWorkflow.name).toBe(messages.HEALING_ACTION_WORKFLOW);
  });

  it('no client outside workflows/ names a workflow or message by string', () => {
    const found = sources(root)
      .filter((file) => file !== import.meta.filename)
      .flatMap((file) =>
        readFileSync(file, 'utf8')
          .split('\n')
          .flatMap((line, i) =>
            BY_STRING.some((re) => re.test(line))
              ? [`${path.relative(root, file)}:${i + 1}: ${line.trim()}`]
              : [],
          ),
      );
    expect(found).toEqual([]);
  });

  it('the check itself catches the forms it is meant to', () => {
    const hits = [
      `handle.query<PolicyStatusView>('status')`,
      `.signal('pause', { by })`,
      `.executeUpdate<ApprovalResult, [ApprovalInput]>('approveAction', { args })`,
      `new WithStartWorkflowOperation('policyWorkflow', {`,
      `const q = 'WorkflowType="policyWorkflow"';`,
    ];
    for (const line of hits)
      expect(
        BY_STRING.some((re) => re.test(line)),
        line,
      ).toBe(true);
    expect(BY_STRING.some((re) => re.test('handle.query(policyStatusQuery)'))).toBe(false);
    expect(BY_STRING.some((re) => re.test('`WorkflowType="${POLICY_WORKFLOW}"`'))).toBe(false);
  });
});
