/**
 * A parser error, or a psql meta-command, as a problem at the right place of the SQL text: used by
 * the statement splitter and by the check against the server's own grammar (server-grammar.ts).
 */
import { utf16IndexFromCodePointPosition } from '../text/source-position.js';
import { isSpaceAt, skipWhitespaceAndComments } from '../text/whitespace-and-comments.js';
import { lexSql } from './lexer.js';

export interface SqlSyntaxProblem {
  kind: 'syntax' | 'meta-command' | 'too-deep' | 'copy-data';
  /** parser message, or for meta-commands: "psql meta-command \\i is not SQL" style text */
  message: string;
  /** UTF-16 index into the body where the problem is (first char of the offending token / of the backslash) */
  offset: number;
}

/** A parser error (its message and cursorPosition) as a problem at the right place of `body`. */
export function syntaxProblemAt(body: string, message: string, cursorPosition: number): SqlSyntaxProblem {
  const lexed = lexSql(body);
  // A backslash outside literals and comments is never SQL: psql would take it, and the rest of its line, as a
  // meta-command. It is the real problem even if the parser tripped elsewhere first.
  if (lexed.backslash !== undefined) {
    const name = metaCommandName(body, lexed.backslash);
    // `\.` ends the rows of a COPY ... FROM STDIN in a psql script (pg_dump writes them so)
    if (name === '\\.') return { kind: 'copy-data', message: 'COPY ... FROM STDIN with its rows inline (ending in \\.) is psql\'s: strata runs SQL only, and has no rows to send', offset: lexed.backslash };
    return { kind: 'meta-command', message: `psql meta-command ${name} is not SQL`, offset: lexed.backslash };
  }
  // libpg-query's cursorPosition is PostgreSQL's 1-based character position minus one (0 also when unknown).
  let offset = utf16IndexFromCodePointPosition(body, cursorPosition + 1);
  if (/ at end of input$/.test(message) && lexed.tokens.length > 0) {
    // there is no offending token: point just past the last one rather than past trailing whitespace/comments
    offset = lexed.tokens[lexed.tokens.length - 1]!.end;
  } else if (cursorPosition === 0 && isSpaceAt(body, 0)) {
    offset = skipWhitespaceAndComments(body, 0);
  }
  return { kind: 'syntax', message, offset };
}

/** `\i`, `\set`, `\copy`, `\\`, … as psql reads the command name: up to whitespace or the next backslash. */
function metaCommandName(body: string, backslash: number): string {
  let end = backslash + 1;
  if (body.charCodeAt(end) === 0x5c) return '\\\\';
  while (end < body.length && !isSpaceAt(body, end) && body.charCodeAt(end) !== 0x5c) end += 1;
  const name = body.slice(backslash + 1, Math.min(end, backslash + 1 + 32));
  return `\\${name}${end - backslash - 1 > 32 ? '…' : ''}`;
}
