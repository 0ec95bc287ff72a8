import { maskSecretValues } from './secret-values.js';

/**
 * Pure helpers for turning offsets into human positions and rendering code frames.
 *
 * Three kinds of offsets meet here:
 * - UTF-16 indexes: what JavaScript strings use (`text[i]`, `text.slice`).
 * - UTF-8 byte offsets: what the libpg-query parser/scanner reports for statement locations and tokens.
 * - Code point positions: what PostgreSQL reports as error `position` (1-based, counted in characters).
 *
 * Surrogate handling matches how the text is encoded to UTF-8 for the parser (Emscripten's stringToUTF8): a
 * valid surrogate pair is one code point (4 bytes); a lone surrogate counts as one code point of 3 bytes.
 * This is the one mapper between the three: sql/ and the executor use it, none keeps its own.
 * Whitespace and comments, as PostgreSQL's scanner reads them, are whitespace-and-comments.ts's.
 */

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}

function isLowSurrogate(code: number): boolean {
  return code >= 0xdc00 && code <= 0xdfff;
}

function clampIndex(text: string, index: number): number {
  if (!(index > 0)) return 0; // also catches NaN
  return index >= text.length ? text.length : Math.floor(index);
}

/** UTF-16 length (1 or 2) of the code point starting at index i. */
function codePointUnits(text: string, i: number): number {
  return isHighSurrogate(text.charCodeAt(i)) && i + 1 < text.length && isLowSurrogate(text.charCodeAt(i + 1))
    ? 2
    : 1;
}

/**
 * The lines of `text`, split at LF, CRLF and lone CR (the breaks themselves dropped). A line ends
 * at any of the three, as editors count lines: files are not rewritten to LF (the SQL sent is the
 * file's bytes), so every position must count all three.
 */
export function splitLines(text: string, limit?: number): string[] {
  return text.split(/\r\n?|\n/, limit);
}

/** 1-based line and 1-based column counted in code points (as PostgreSQL counts characters) of a UTF-16 index */
export function lineColumnAt(text: string, utf16Index: number): { line: number; column: number } {
  let index = clampIndex(text, utf16Index);
  // An index in the middle of a surrogate pair designates that character.
  if (
    index > 0 &&
    index < text.length &&
    isLowSurrogate(text.charCodeAt(index)) &&
    isHighSurrogate(text.charCodeAt(index - 1))
  ) {
    index -= 1;
  }
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < index; i++) {
    const code = text.charCodeAt(i);
    // the CR of a CRLF is not a break of its own: the LF after it is
    if (code === 0x0a || (code === 0x0d && text.charCodeAt(i + 1) !== 0x0a)) {
      line += 1;
      lineStart = i + 1;
    }
  }
  let column = 1;
  for (let i = lineStart; i < index; i += codePointUnits(text, i)) column += 1;
  return { line, column };
}

/** PostgreSQL error positions are 1-based character (code point) positions into the query text; convert to a UTF-16 index into that text */
export function utf16IndexFromCodePointPosition(text: string, position: number): number {
  if (!(position > 1)) return 0;
  let i = 0;
  for (let cp = 1; cp < position && i < text.length; cp += 1) i += codePointUnits(text, i);
  return i;
}

/** a UTF-8 byte offset into text -> UTF-16 index; for many offsets into one text, byteOffsetMapper */
export function utf16IndexFromByteOffset(text: string, byteOffset: number): number {
  return byteOffsetMapper(text)(byteOffset);
}

/**
 * Maps UTF-8 byte offsets of `text` (what libpg-query reports) to UTF-16 indexes. Calls with
 * non-decreasing offsets cost O(length of the text) in all, so mapping every statement of a long
 * script stays linear; a smaller offset than the previous call restarts from the beginning. An
 * offset inside a multi-byte character designates that character.
 */
export function byteOffsetMapper(text: string): (byteOffset: number) => number {
  // eslint-disable-next-line no-control-regex
  if (!/[^\x00-\x7f]/.test(text)) return (byteOffset) => clampIndex(text, byteOffset);
  let bytes = 0;
  let i = 0;
  return (byteOffset) => {
    if (!(byteOffset > 0)) return 0;
    if (byteOffset < bytes) {
      bytes = 0;
      i = 0;
    }
    while (i < text.length) {
      const code = text.charCodeAt(i);
      let size: number;
      let units = 1;
      if (code < 0x80) size = 1;
      else if (code < 0x800) size = 2;
      else if (codePointUnits(text, i) === 2) {
        size = 4;
        units = 2;
      } else size = 3;
      if (bytes + size > byteOffset) break;
      bytes += size;
      i += units;
    }
    return i;
  };
}

/**
 * Gives each problem that points at a line and column of a file the lines around it, with a
 * caret: the one way a syntax error, a misplaced header or a bad key is shown, in `up` as in `dev`.
 * `textOf(file)`: the file's normalised text as it was read for this run, when there is one.
 */
export function attachCodeFrames<P extends { file?: string; line?: number; column?: number; codeFrame?: string }>(
  problems: readonly P[],
  textOf: (file: string) => string | undefined,
): P[] {
  return problems.map((p) => {
    if (p.codeFrame !== undefined || !p.file || p.line === undefined || p.column === undefined) return p;
    const text = textOf(p.file);
    return text === undefined ? p : { ...p, codeFrame: renderCodeFrame(text, p.line, p.column) };
  });
}

/** A few lines of context with line numbers in a gutter and a caret under the column, e.g.
 *    5 | create table orders (
 *    6 |   id bigint primary key,
 *  > 7 |   user_id bigint refrences users(id)
 *      |                  ^
 *    8 | );
 * lines: the full file text split at its line breaks (LF, CRLF, CR); line/column as from lineColumnAt; options.before (default 2), options.after (default 1). Tabs before the column must be kept as tabs in the caret line padding so the caret lines up. Wide characters: count one column per code point. Returns a string without trailing newline. */
export function renderCodeFrame(
  text: string,
  line: number,
  column: number,
  options?: { before?: number; after?: number },
): string {
  const lines = splitLines(text);
  const before = Math.max(0, Math.floor(options?.before ?? 2));
  const after = Math.max(0, Math.floor(options?.after ?? 1));
  const target = Math.min(Math.max(1, Math.floor(line) || 1), lines.length);
  const first = Math.max(1, target - before);
  const last = Math.min(lines.length, target + after);
  const width = String(last).length;

  // a very long line (generated SQL, a minified function) is shown as a window around the column
  const wanted = Math.max(1, Math.floor(column) || 1);
  const windowStart = Math.max(0, wanted - 1 - FRAME_CONTEXT_BEFORE);
  const clip = (content: string): { text: string; shift: number } => {
    const points = [...content];
    if (points.length <= MAX_FRAME_LINE) return { text: content, shift: 0 };
    const start = Math.min(windowStart, Math.max(0, points.length - MAX_FRAME_LINE));
    const end = start + MAX_FRAME_LINE;
    const head = start > 0 ? '…' : '';
    return { text: head + points.slice(start, end).join('') + (end < points.length ? '…' : ''), shift: start - head.length };
  };

  const out: string[] = [];
  for (let n = first; n <= last; n += 1) {
    // a secret option's value in the SQL shown (a revision that sets a password) is starred out
    const { text: content, shift } = clip(maskSecretValues(lines[n - 1] ?? ''));
    const marker = n === target ? ' > ' : '   ';
    out.push(`${marker}${String(n).padStart(width)} |${content === '' ? '' : ` ${content}`}`);
    if (n === target) {
      out.push(`   ${' '.repeat(width)} | ${caretPadding(content, wanted - shift)}^`);
    }
  }
  return out.join('\n');
}

/** Lines longer than this many code points are cut to a window around the column. */
const MAX_FRAME_LINE = 160;
const FRAME_CONTEXT_BEFORE = 60;

/** Whitespace that puts the caret under the given 1-based code point column: tabs stay tabs, everything else is one space per code point. */
function caretPadding(content: string, column: number): string {
  const wanted = Math.max(1, Math.floor(column) || 1) - 1;
  let padding = '';
  let count = 0;
  for (const ch of content) {
    if (count >= wanted) break;
    padding += ch === '\t' ? '\t' : ' ';
    count += 1;
  }
  // columns past the end of the line (e.g. "at end of input") continue with spaces
  return count < wanted ? padding + ' '.repeat(wanted - count) : padding;
}
