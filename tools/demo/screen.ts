// Where the live view draws. On a terminal: the alternate screen (what `less` and `top` use), one
// frame redrawn in place, re-rendered when the window is resized; the normal screen comes back on
// exit, Ctrl-C or a crash, with what was printed before the view intact. Anywhere else (a pipe, a
// log file, CI, TERM=dumb): nothing here; the caller prints plain lines, without escape codes.
import { writeSync } from 'node:fs';
import { renderFrame, type FrameContext } from './frame.js';
import type { DemoSnapshot } from './observe.js';
import { narrate } from './view.js';

/** Frames on a terminal that understands them; plain lines everywhere else. */
export function liveMode(out: { isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env): 'screen' | 'lines' {
  if (out.isTTY !== true) return 'lines';
  if (!env.TERM || env.TERM === 'dumb') return 'lines';
  if (env.CI && env.CI !== 'false' && env.CI !== '0') return 'lines';
  return 'screen';
}

const ENTER = '\x1b[?1049h\x1b[?25l'; // alternate screen, cursor hidden
const LEAVE = '\x1b[?25h\x1b[?1049l'; // cursor shown, normal screen back

export class LiveScreen {
  private active = false;
  private render?: (columns: number, rows: number) => string[];
  private readonly restore = (): void => this.leave();
  private readonly onResize = (): void => this.redraw();

  constructor(private readonly out: NodeJS.WriteStream) {}

  get columns(): number {
    return this.out.columns || 80;
  }

  get rows(): number {
    return this.out.rows || 24;
  }

  enter(): void {
    if (this.active) return;
    this.active = true;
    this.out.write(ENTER);
    this.out.on('resize', this.onResize);
    // The terminal must come back even when the process ends without reaching leave(): exit
    // (process.exit on a second Ctrl-C) and an uncaught error, before Node prints it.
    process.on('exit', this.restore);
    process.on('uncaughtExceptionMonitor', this.restore);
  }

  /** Draws a frame made for the current size; kept to redraw on resize. */
  draw(render: (columns: number, rows: number) => string[]): void {
    this.render = render;
    this.redraw();
  }

  /** Prints on the normal screen (it stays after the view ends), then goes back to the view. */
  print(text: string): void {
    if (!this.active) return void this.out.write(text);
    this.out.write(`\x1b[?1049l${text}\x1b[?1049h`);
    this.redraw();
  }

  leave(): void {
    if (!this.active) return;
    this.active = false;
    this.out.removeListener('resize', this.onResize);
    process.removeListener('exit', this.restore);
    process.removeListener('uncaughtExceptionMonitor', this.restore);
    // Synchronous: on exit there is no later tick to flush an asynchronous write.
    try {
      writeSync((this.out as { fd?: number }).fd ?? 1, LEAVE);
    } catch {
      this.out.write(LEAVE);
    }
  }

  private redraw(): void {
    if (!this.active || !this.render) return;
    const lines = this.render(this.columns, this.rows);
    // Home, each line erased before it is written (erasing after a line that fills the width
    // would take its last character in some terminals), then the rest of the screen cleared from
    // the next line; no newline after a frame of exactly `rows` lines, which would scroll.
    const body = lines.map((l) => `\x1b[2K${l}`).join('\r\n');
    this.out.write(`\x1b[H${body}${lines.length < this.rows ? '\r\n\x1b[J' : ''}`);
  }
}

/** What the demo and the monitor draw with: frames on a terminal, narration elsewhere. */
export interface LiveOutput {
  readonly mode: 'screen' | 'lines';
  /** The terminal's width, to fit the summary to; undefined when printing lines. */
  readonly columns: number | undefined;
  /** One observation: a frame for the current size, or the lines telling what changed. */
  show(prev: DemoSnapshot | undefined, next: DemoSnapshot, ctx: Omit<FrameContext, 'columns' | 'rows'>): void;
  /** Text that stays (the summary): on the normal screen, or as lines. */
  print(text: string): void;
  close(): void;
}

export function liveOutput(
  out: NodeJS.WriteStream,
  opts: { narrateFromMs: number; env?: NodeJS.ProcessEnv },
): LiveOutput {
  const say = (text: string): void => void out.write(text.endsWith('\n') ? text : `${text}\n`);
  if (liveMode(out, opts.env) === 'lines')
    return {
      mode: 'lines',
      columns: undefined,
      show: (prev, next) => void narrate(prev, next, opts.narrateFromMs).forEach(say),
      print: say,
      close: () => undefined,
    };
  const screen = new LiveScreen(out);
  screen.enter();
  return {
    mode: 'screen',
    get columns() {
      return screen.columns;
    },
    show: (_prev, next, ctx) => screen.draw((columns, rows) => renderFrame(next, { ...ctx, columns, rows })),
    print: (text) => screen.print(text.endsWith('\n') ? text : `${text}\n`),
    close: () => screen.leave(),
  };
}
