// ESLint flat config. The one rule that matters most here is the workflow import boundary:
// workflow and domain code runs inside Temporal's deterministic sandbox (domain also runs in
// activities), so it may not import anything that does I/O. Type-only imports are fine because
// they vanish at compile time.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const ioLibraries = [
  {
    name: '@kubernetes/client-node',
    message: 'I/O library: only activities/, workers/ and sim/ may use it.',
  },
  { name: 'zod', message: 'Parse at the edges (controller, activities); workflows trust typed input.' },
  { name: 'pino', message: 'Use `log` from @temporalio/workflow (replay-aware).' },
  { name: 'ollama', message: 'AI calls are activities.' },
  { name: 'openai', message: 'AI calls are activities.' },
  { name: 'prom-client', message: 'Metrics are recorded by activities/workers.' },
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
    group: ['**/activities/*', '**/workers/*', '**/sim/*'],
    message: 'Only type imports from activities/; never workers/ or sim/.',
  },
];

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
  {
    files: ['domain/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            {
              name: '@temporalio/workflow',
              message: 'domain/ is plain functions; workflows/ sequences them.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['**/*.js'],
    ...tseslint.configs.disableTypeChecked,
  },
);
