// ESLint flat config. The one rule that matters most here is the workflow import boundary:
// workflow and domain code runs inside Temporal's deterministic sandbox (domain also runs in
// activities), so it may not import anything that does I/O. Type-only imports are fine because
// they vanish at compile time.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const ioLibraries = [
  {
    name: '@kubernetes/client-node',
    message: 'I/O library: only activities/, operator/, tools/ and sim/ may use it.',
  },
  { name: 'zod', message: 'Parse at the edges (controller, activities); workflows trust typed input.' },
  { name: 'pino', message: 'Use `log` from @temporalio/workflow (replay-aware).' },
  { name: 'ollama', message: 'AI calls are activities.' },
  { name: 'openai', message: 'AI calls are activities.' },
  { name: 'prom-client', message: 'Metrics are recorded by activities/ and operator/.' },
  { name: '@temporalio/client', message: 'Workflows use @temporalio/workflow only.' },
  { name: '@temporalio/worker', message: 'Workflows use @temporalio/workflow only.' },
  { name: '@temporalio/activity', message: 'Workflows use @temporalio/workflow only.' },
];
const ioPatterns = [
  {
    group: ['node:*', 'fs', 'fs/*', 'http', 'https', 'net', 'child_process', 'os', 'path'],
    message: 'No I/O in deterministic code.',
  },
  {
    group: ['**/activities/*', '**/operator/*', '**/tools/*', '**/sim/*', '**/cluster/*'],
    message: 'Only type imports from activities/; never operator/, tools/, sim/ or cluster/.',
  },
  {
    // crds/ modules load zod; only the leaf api-group.ts (no imports) is safe in the sandbox.
    regex: 'crds/(?!(api-group|builtin-metrics)\\.js$)',
    message:
      'Only type imports from crds/ (zod); constants come from the leaves crds/api-group.js and crds/builtin-metrics.js.',
  },
];

/** The operator's folders: the simulated cluster and the local control plane never import them. */
const operator = ['domain', 'workflows', 'activities', 'operator', 'tools', 'crds'];
const notTheOperator = (who) => ({
  regex: `^(\\.\\./)+(${operator.join('|')})/`,
  message: `${who} is not part of the operator and must not import it (nor the operator ${who}).`,
});
const noSim = { regex: '(^|/)sim/', message: 'The operator never imports the simulated cluster.' };
const noTools = {
  regex: '(^|/)tools/',
  message: 'The operator runtime never imports the tools (CLI, demo, backtest, replay, dev server).',
};
const noCluster = {
  regex: '(^|/)cluster/',
  message: 'The operator never imports the local control plane (cluster/).',
};

/** One no-restricted-imports setting per top-level folder (a later setting would replace, not add). */
const importBoundaries = {
  domain: {
    paths: [
      { name: '@temporalio/workflow', message: 'domain/ is plain functions; workflows/ sequences them.' },
    ],
    patterns: [noSim, noCluster, noTools],
  },
  workflows: { patterns: [noSim, noCluster, noTools] },
  activities: { patterns: [noSim, noCluster, noTools] },
  // The operator runtime (worker, controller, config, health, metrics): what runs in the cluster.
  operator: { patterns: [noSim, noCluster, noTools] },
  // The tools (the CLI, the demo, backtest, replay, the dev server) start the sim and the local
  // control plane through their entry points only.
  tools: {
    patterns: [
      { ...noSim, regex: '(^|/)sim/(?!index\\.js$)', message: 'Start the sim through sim/index.js only.' },
      {
        ...noCluster,
        regex: '(^|/)cluster/(?!index\\.js$)',
        message: 'Start the local control plane through cluster/index.js only.',
      },
    ],
  },
  // crds/ is the schema, the single source of truth: zod and its own files, plus five pure
  // helpers of domain/ its validation shares with the operator (the duration parser, the patch
  // allow-list default, the webhook body template, the notification phases, the cron schedules of
  // windows); yaml for rendering; node: for the generator.
  crds: {
    patterns: [
      {
        regex: '^\\.\\./(?!domain/(duration|patch|webhook|notifications|windows)\\.js$)',
        message: 'crds/ imports zod and crds/ only.',
      },
      { regex: '^(?!zod$|yaml$|node:|\\.)', message: 'crds/ imports zod and crds/ only.' },
    ],
  },
  // lib/ holds helpers that any folder may use, so it imports nothing of the project.
  lib: { patterns: [{ regex: '^\\.\\./', message: 'lib/ is a leaf: node:, packages and lib/ only.' }] },
  sim: { patterns: [notTheOperator('sim/')] },
  cluster: { patterns: [notTheOperator('cluster/')] },
};

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', '.tools/', 'deploy/', 'coverage/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['workflows/**/*.ts', 'domain/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: ioLibraries.map((p) => ({ ...p, allowTypeImports: true })),
          patterns: ioPatterns.map((p) => ({ ...p, allowTypeImports: true })),
        },
      ],
    },
  },
  ...Object.entries(importBoundaries).map(([folder, options]) => ({
    files: [`${folder}/**/*.ts`],
    rules: { 'no-restricted-imports': ['error', options] },
  })),
  {
    // Size: a file or a function that does not fit on a few screens is doing more than one thing.
    files: ['**/*.ts'],
    ignores: ['sim/**', 'test/**'],
    rules: {
      'max-lines': ['error', { max: 400, skipBlankLines: true, skipComments: true }],
      'max-lines-per-function': ['error', { max: 80, skipBlankLines: true, skipComments: true }],
      '@typescript-eslint/explicit-module-boundary-types': 'error',
    },
  },
  {
    files: ['**/*.js'],
    ...tseslint.configs.disableTypeChecked,
  },
);
