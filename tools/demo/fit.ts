// Text that fits a terminal: widths are display columns (a CJK character or an emoji takes two,
// a combining accent none), measured with string-width after escape codes are stripped. What the
// view shows comes partly from outside (pod names, action messages, a language model's reasons),
// so control characters are removed first: a stray escape or newline would break the frame.
import { stripVTControlCharacters } from 'node:util';
import stringWidth from 'string-width';

const segmenter = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

/** One line of plain text: escape codes stripped, tabs and newlines as spaces, other controls gone. */
export function plain(text: string): string {
  return (
    stripVTControlCharacters(text)
      .replace(/[\t\n\r\v\f]/g, ' ')
      // eslint-disable-next-line no-control-regex
      .replace(/[\u0000-\u001f\u007f-\u009f]/g, '')
  );
}

export const width = (text: string): number => stringWidth(text);

/** At most `columns` display columns; a cut line ends with `…`. */
export function truncate(text: string, columns: number): string {
  const line = plain(text);
  if (width(line) <= columns) return line;
  if (columns <= 0) return '';
  let out = '';
  let used = 0;
  for (const { segment } of segmenter.segment(line)) {
    const w = width(segment);
    if (used + w > columns - 1) break;
    out += segment;
    used += w;
  }
  return `${out}…`;
}

/** Word-wrapped to `columns` (words longer than a line are cut across lines); never empty. */
export function wrap(text: string, columns: number): string[] {
  const cols = Math.max(1, columns);
  const lines: string[] = [];
  let line = '';
  const push = (): void => void (lines.push(line), (line = ''));
  for (const word of plain(text).split(' ')) {
    const candidate = line === '' ? word : `${line} ${word}`;
    if (width(candidate) <= cols) {
      line = candidate;
      continue;
    }
    if (line !== '') push();
    // A word wider than the line: cut it grapheme by grapheme.
    for (const { segment } of segmenter.segment(word)) {
      if (width(line + segment) > cols && line !== '') push();
      line += segment;
    }
  }
  if (line !== '' || lines.length === 0) lines.push(line);
  // A single grapheme wider than the line (an emoji in one column) cannot fit: drop it.
  return lines.map((l) => (width(l) > cols ? truncate(l, cols) : l));
}
