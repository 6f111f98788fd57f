// Preloaded into the operator process (node --expose-gc --import): on SIGWINCH it collects garbage
// and prints its heap as one JSON log line, so a test can tell retained memory from the high-water
// mark RSS keeps (V8 seldom gives pages back to the system). Plain JavaScript: Temporal's workflow
// worker threads inherit the flag, without the TypeScript loader. Not SIGUSR2: Temporal's Runtime
// shuts its workers down on it (shutdownSignals), and SIGUSR1 starts Node's inspector.
import process from 'node:process';
import { isMainThread } from 'node:worker_threads';

if (isMainThread) {
  process.on('SIGWINCH', () => {
    globalThis.gc?.();
    const { heapUsed, rss } = process.memoryUsage();
    process.stdout.write(`${JSON.stringify({ level: 30, msg: 'heap probe', heapUsed, rss })}\n`);
  });
}
