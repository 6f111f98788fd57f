// The Dockerfile read the way a builder reads it, for a test that cannot run a builder (no
// Docker engine, and no container registry to pull the base image from): the instructions in
// order, the build context as .dockerignore leaves it, and the COPY steps applied to a plain
// directory that stands for WORKDIR. Only what our Dockerfile uses is understood; anything
// else throws, so a new kind of step makes the test say it must be taught, not pass quietly.
import { cp, mkdir, readdir, readFile } from 'node:fs/promises';
import { join, posix } from 'node:path';
import dockerignore from '@balena/dockerignore';
import { DockerfileParser, type Instruction, type JSONInstruction } from 'dockerfile-ast';

export type Step = { kind: 'copy'; sources: string[]; dest: string } | { kind: 'run'; command: string };

export interface Image {
  from: string;
  env: Record<string, string>;
  workdir: string;
  /** COPY and RUN in the order the builder runs them. */
  steps: Step[];
  user: string;
  expose: number[];
  /** ENTRYPOINT then CMD, as the container starts with no arguments. */
  start: string[];
}

// Exec form only: a shell form would make /bin/sh PID 1, and SIGTERM would not reach node.
function execForm(i: Instruction): string[] {
  const strings = (i as JSONInstruction).getJSONStrings?.() ?? [];
  if (strings.length === 0)
    throw new Error(`${i.getKeyword()} must be in exec (JSON) form: ${i.getTextContent()}`);
  return strings.map((s) => s.getJSONValue());
}

function copyStep(i: Instruction): Step {
  if ((i as JSONInstruction).getFlags().length > 0)
    throw new Error(`COPY flags are not understood by this check: ${i.getTextContent()}`);
  const json = (i as JSONInstruction).getJSONStrings();
  const args =
    json.length > 0 ? json.map((s) => s.getJSONValue()) : i.getArguments().map((a) => a.getValue());
  if (args.length < 2) throw new Error(`COPY needs a source and a destination: ${i.getTextContent()}`);
  const sources = args.slice(0, -1).map((s) => posix.normalize(s).replace(/\/$/, ''));
  if (sources.some((s) => /[*?[]/.test(s) || s.startsWith('..') || posix.isAbsolute(s)))
    throw new Error(`COPY sources must be plain paths inside the context: ${i.getTextContent()}`);
  return { kind: 'copy', sources, dest: args.at(-1)! };
}

export function parseDockerfile(text: string): Image {
  const image: Image = { from: '', env: {}, workdir: '/', steps: [], user: 'root', expose: [], start: [] };
  let entrypoint: string[] = [];
  let cmd: string[] = [];
  for (const i of DockerfileParser.parse(text).getInstructions()) {
    const args = i.getArgumentsContent() ?? '';
    switch (i.getKeyword()) {
      case 'FROM':
        if (image.from) throw new Error('multi-stage builds are not understood by this check');
        image.from = args;
        break;
      case 'ENV':
        for (const p of (
          i as unknown as { getProperties(): { getName(): string; getValue(): string | null }[] }
        ).getProperties())
          image.env[p.getName()] = p.getValue() ?? '';
        break;
      case 'WORKDIR':
        image.workdir = posix.resolve(image.workdir, args);
        break;
      case 'COPY':
        image.steps.push(copyStep(i));
        break;
      case 'RUN':
        if (args.trim().startsWith('[')) throw new Error(`RUN in exec form is not understood: ${args}`);
        image.steps.push({ kind: 'run', command: args });
        break;
      case 'USER':
        image.user = args;
        break;
      case 'EXPOSE':
        image.expose.push(...args.split(/\s+/).map((p) => Number(p.replace(/\/tcp$/, ''))));
        break;
      case 'ENTRYPOINT':
        entrypoint = execForm(i);
        break;
      case 'CMD':
        cmd = execForm(i);
        break;
      default:
        throw new Error(`${i.getKeyword()} is not understood by this check: ${i.getTextContent()}`);
    }
  }
  image.start = [...entrypoint, ...cmd];
  return image;
}

/** Every file the builder is sent (relative, '/'-separated): the context less .dockerignore. */
export async function buildContext(root: string): Promise<string[]> {
  const rules = await readFile(join(root, '.dockerignore'), 'utf8').catch(() => '');
  // A CommonJS module typed as `export default`: under NodeNext its factory is `.default`
  // (the package sets factory.default = factory for exactly this).
  const ig = dockerignore.default().add(rules);
  // An excluded directory can hold a re-included file only through a `!` rule; without one,
  // skipping the directory (node_modules above all) gives the same list, much faster.
  const canPrune = !rules.split('\n').some((l) => l.trim().startsWith('!'));
  const files: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    for (const entry of await readdir(join(root, dir), { withFileTypes: true })) {
      const rel = dir ? `${dir}/${entry.name}` : entry.name;
      if (entry.isDirectory()) {
        if (!(canPrune && ig.ignores(rel))) await walk(rel);
      } else if (!ig.ignores(rel)) files.push(rel);
    }
  };
  await walk('');
  return files.sort();
}

/**
 * Applies one COPY to `stage` (the directory standing for WORKDIR), as the builder does: a
 * directory's contents go into the destination, a file goes to the destination or into it when
 * it ends in '/'. A source with no file in the context fails, as `docker build` fails.
 */
export async function applyCopy(
  step: Extract<Step, { kind: 'copy' }>,
  o: { root: string; context: string[]; workdir: string; stage: string },
): Promise<string[]> {
  const dest = posix.resolve(o.workdir, step.dest);
  if (dest !== o.workdir && !dest.startsWith(`${o.workdir}/`))
    throw new Error(`COPY to ${dest}, outside WORKDIR ${o.workdir}: not understood by this check`);
  const into = step.sources.length > 1 || step.dest.endsWith('/');
  const copied: string[] = [];
  for (const src of step.sources) {
    const files = o.context.filter((f) => f === src || f.startsWith(`${src}/`));
    if (files.length === 0)
      throw new Error(`COPY ${src}: not in the build context (missing, or left out by .dockerignore)`);
    for (const f of files) {
      const target =
        f === src
          ? into
            ? posix.join(dest, posix.basename(src))
            : dest
          : posix.join(dest, f.slice(src.length + 1));
      const staged = join(o.stage, posix.relative(o.workdir, target));
      await mkdir(join(staged, '..'), { recursive: true });
      await cp(join(o.root, f), staged);
      copied.push(posix.relative(o.workdir, target));
    }
  }
  return copied;
}
