/**
 * Whitespace and comments as PostgreSQL's scanner (scan.l) reads them: the one scanner for them,
 * used to find where a statement really starts (sql/, the executor, planning) and by the SQL
 * lexer (sql/lexer.ts), which adds literals and quoted identifiers. All indexes are UTF-16.
 */

/** PostgreSQL's whitespace: space, \t, \n, \v, \f, \r. */
export function isSpaceAt(text: string, index: number): boolean {
  const code = text.charCodeAt(index);
  return code === 0x20 || (code >= 0x09 && code <= 0x0d);
}

/** Index of the line break (LF or CR: scan.l's non_newline excludes both) at or after `from`, or the text length. */
export function lineEnd(text: string, from: number): number {
  let j = from;
  while (j < text.length) {
    const code = text.charCodeAt(j);
    if (code === 0x0a || code === 0x0d) break;
    j += 1;
  }
  return j;
}

/** End (exclusive) of the block comment opening at `open` (the `/` of `/*`); they nest in SQL. -1 if unterminated. */
export function blockCommentEnd(text: string, open: number): number {
  let depth = 1;
  let j = open + 2;
  while (j < text.length) {
    const code = text.charCodeAt(j);
    if (code === 0x2f && text.charCodeAt(j + 1) === 0x2a) {
      depth += 1;
      j += 2;
    } else if (code === 0x2a && text.charCodeAt(j + 1) === 0x2f) {
      j += 2;
      depth -= 1;
      if (depth === 0) return j;
    } else j += 1;
  }
  return -1;
}

/** `--` at index i starts a line comment */
export function isLineCommentAt(text: string, i: number): boolean {
  return text.charCodeAt(i) === 0x2d && text.charCodeAt(i + 1) === 0x2d;
}

/** `/*` at index i starts a block comment */
export function isBlockCommentAt(text: string, i: number): boolean {
  return text.charCodeAt(i) === 0x2f && text.charCodeAt(i + 1) === 0x2a;
}

/** index of the first non-whitespace, non-comment character at or after utf16Index (skips -- line comments and nested /* *\/ block comments); returns text.length if none, an unterminated block comment running to the end */
export function skipWhitespaceAndComments(text: string, utf16Index: number): number {
  const n = text.length;
  let i = !(utf16Index > 0) ? 0 : utf16Index >= n ? n : Math.floor(utf16Index); // also catches NaN
  while (i < n) {
    if (isSpaceAt(text, i)) i += 1;
    else if (isLineCommentAt(text, i)) i = lineEnd(text, i + 2);
    else if (isBlockCommentAt(text, i)) {
      const end = blockCommentEnd(text, i);
      i = end === -1 ? n : end;
    } else return i;
  }
  return n;
}
