import { stringify } from 'yaml';
import { allCrds } from './crd-gen.js';

const HEADER = '# Generated from crds/*.ts by `npm run gen`. Do not edit by hand.\n';

/** The generated files, path relative to the project root → YAML text. */
export function renderCrdFiles(): { file: string; content: string }[] {
  return allCrds().map((crd) => {
    const name = (crd.metadata as { name: string }).name;
    return { file: `deploy/crds/${name}.yaml`, content: HEADER + stringify(crd, { lineWidth: 0 }) };
  });
}

/** All CRDs as one multi-document YAML stream (what `kubeskippy crds` prints). */
export function renderCrdStream(): string {
  return renderCrdFiles()
    .map((f) => f.content)
    .join('---\n');
}
