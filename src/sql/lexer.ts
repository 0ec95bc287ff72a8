/**
 * A small SQL lexer with PostgreSQL's and psql's quoting rules (standard_conforming_strings on):
 * enough to tell string literals, quoted identifiers, dollar quotes and (nested) block comments from
 * the rest. The meta-command check, the token-boundary fallback of the statement splitter and the
 * search for header lines below the header (parse-header.ts) need no more. Token granularity is
 * coarse, but every start and end is exact. All offsets are UTF-16 indexes. Whitespace and comments
 * are read by text/whitespace-and-comments.ts, as everywhere else.
 */
import { blockCommentEnd, isBlockCommentAt, isLineCommentAt, isSpaceAt, lineEnd } from '../text/whitespace-and-comments.js';

export interface LexToken {
  start: number;
  end: number;
  kind: 'semicolon' | 'backslash' | 'other';
}

export interface LineComment {
  /** index of the first `-` of `--` */
  start: number;
  /** index of the line break that ends it (LF or CR, as PostgreSQL's scanner), or the text length */
  end: number;
}

export interface LexResult {
  /** tokens other than whitespace and comments; a backslash outside literals is a token of its own, the rest of its line psql's */
  tokens: LexToken[];
  /** `--` comments outside literals, quoted identifiers, dollar quotes and block comments */
  lineComments: LineComment[];
  /** UTF-16 index of the first backslash outside literals and comments (a psql meta-command) */
  backslash: number | undefined;
  /** a string, quoted identifier, dollar-quoted string or comment runs to the end of the text: lexing stopped there */
  unterminated: boolean;
}

function isIdentStart(code: number): boolean {
  return (code >= 0x61 && code <= 0x7a) || (code >= 0x41 && code <= 0x5a) || code === 0x5f || code >= 0x80;
}

function isIdentCont(code: number): boolean {
  return isIdentStart(code) || (code >= 0x30 && code <= 0x39) || code === 0x24; /* $ */
}

function isDigit(code: number): boolean {
  return code >= 0x30 && code <= 0x39;
}

export function lexSql(text: string): LexResult {
  const n = text.length;
  const tokens: LexToken[] = [];
  const lineComments: LineComment[] = [];
  let backslash: number | undefined;
  const stop = (): LexResult => ({ tokens, lineComments, backslash, unterminated: true });
  let i = 0;
  while (i < n) {
    const c = text.charCodeAt(i);
    const start = i;
    if (isSpaceAt(text, i)) {
      i += 1;
      continue;
    }
    if (isLineCommentAt(text, i)) {
      // -- comment: to the end of the line, which a CR ends as well as an LF (scan.l's non_newline)
      i = lineEnd(text, i);
      lineComments.push({ start, end: i });
      continue;
    }
    if (isBlockCommentAt(text, i)) {
      const end = blockCommentEnd(text, i);
      if (end === -1) return stop();
      i = end;
      continue;
    }
    if (c === 0x5c /* \ */) {
      // psql takes the backslash and the rest of its line as a meta-command
      tokens.push({ start, end: i + 1, kind: 'backslash' });
      backslash ??= start;
      i = lineEnd(text, i);
      continue;
    }
    if (c === 0x3b /* ; */) {
      tokens.push({ start, end: i + 1, kind: 'semicolon' });
      i += 1;
      continue;
    }
    if (c === 0x27 /* ' */ || c === 0x22 /* " */) {
      const end = quotedEnd(text, i, c, false);
      if (end === -1) return stop();
      tokens.push({ start, end, kind: 'other' });
      i = end;
      continue;
    }
    if (c === 0x24 /* $ */) {
      if (isDigit(text.charCodeAt(i + 1))) {
        // positional parameter $1
        i += 1;
        while (i < n && isDigit(text.charCodeAt(i))) i += 1;
        tokens.push({ start, end: i, kind: 'other' });
        continue;
      }
      let j = i + 1;
      if (j < n && isIdentStart(text.charCodeAt(j))) {
        j += 1;
        while (j < n && isIdentCont(text.charCodeAt(j)) && text.charCodeAt(j) !== 0x24) j += 1;
      }
      if (text.charCodeAt(j) === 0x24) {
        const delimiter = text.slice(i, j + 1);
        const close = text.indexOf(delimiter, j + 1);
        if (close === -1) return stop();
        i = close + delimiter.length;
        tokens.push({ start, end: i, kind: 'other' });
        continue;
      }
      i += 1;
      tokens.push({ start, end: i, kind: 'other' });
      continue;
    }
    if (isIdentStart(c)) {
      i += 1;
      while (i < n && isIdentCont(text.charCodeAt(i))) i += 1;
      if (i - start === 1 && (c === 0x65 || c === 0x45) && text.charCodeAt(i) === 0x27) {
        // E'...' string: backslash escapes
        const end = quotedEnd(text, i, 0x27, true);
        if (end === -1) return stop();
        i = end;
      }
      tokens.push({ start, end: i, kind: 'other' });
      continue;
    }
    if (isDigit(c)) {
      i += 1;
      while (i < n && (isIdentCont(text.charCodeAt(i)) || text.charCodeAt(i) === 0x2e)) i += 1;
      tokens.push({ start, end: i, kind: 'other' });
      continue;
    }
    // operators and punctuation, one character at a time (so that -- and /* inside operators start comments)
    i += c >= 0xd800 && c <= 0xdbff && i + 1 < n ? 2 : 1;
    tokens.push({ start, end: i, kind: 'other' });
  }
  return { tokens, lineComments, backslash, unterminated: false };
}

/** End (exclusive) of the quoted literal/identifier opening at `open`, or -1 if unterminated. A doubled quote is an escaped quote. */
function quotedEnd(text: string, open: number, quote: number, backslashEscapes: boolean): number {
  let j = open + 1;
  while (j < text.length) {
    const c = text.charCodeAt(j);
    if (backslashEscapes && c === 0x5c) {
      j += 2;
    } else if (c === quote) {
      if (text.charCodeAt(j + 1) === quote) j += 2;
      else return j + 1;
    } else j += 1;
  }
  return -1;
}
