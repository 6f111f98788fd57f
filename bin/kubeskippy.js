#!/usr/bin/env node
// The `kubeskippy` command. The sources are TypeScript run through tsx, so the same files serve
// the CLI, the worker (whose workflow bundle is built from the sources) and the tests.
import { register } from 'tsx/esm/api';

register();
await import('../tools/cli/main.ts');
