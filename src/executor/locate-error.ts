import type { SqlErrorInfo } from '../db/database.js';
import type { Script } from '../plan/plan.js';
import type { ScriptStatement } from '../sql/split-statements.js';
import { lineColumnAt, utf16IndexFromCodePointPosition } from '../text/source-position.js';
import { skipWhitespaceAndComments } from '../text/whitespace-and-comments.js';

export interface ErrorLocation {
  line: number;
  column: number;
  /** how the place was found: the error's own position, a PL/pgSQL line, or the failing statement */
  via: 'position' | 'plpgsql' | 'statement';
  /** 0-based index of the failing statement in the script body, when known */
  statementIndex: number | undefined;
}

export interface SentText {
  /** the exact text sent to the server */
  text: string;
  /** UTF-16 index in `text` where the part taken from the script body starts */
  userStart: number;
  /** length (UTF-16) of that part */
  userLength: number;
  /** UTF-16 index in the script body that `userStart` corresponds to */
  bodyIndex: number;
}

/**
 * Where in the file a failure happened. PostgreSQL positions count characters (code points)
 * from 1 in the text that was sent; anything the executor added around the body is excluded.
 */
export function locateError(
  script: Script,
  statements: readonly ScriptStatement[],
  error: SqlErrorInfo,
  sent: SentText,
  failedStatementIndex: number | undefined,
): ErrorLocation | undefined {
  const statementAt = (bodyIndex: number) => {
    const index = statements.findIndex((s) => bodyIndex >= s.start && bodyIndex < s.end);
    return index === -1 ? failedStatementIndex : index;
  };
  if (error.position !== undefined) {
    const sentIndex = utf16IndexFromCodePointPosition(sent.text, error.position);
    if (sentIndex >= sent.userStart && sentIndex <= sent.userStart + sent.userLength) {
      const bodyIndex = sent.bodyIndex + (sentIndex - sent.userStart);
      const fileIndex = script.bodyOffset + skipWhitespaceAndComments(script.body, bodyIndex);
      return { ...lineColumnAt(script.text, fileIndex), via: 'position', statementIndex: statementAt(bodyIndex) };
    }
  }
  if (failedStatementIndex === undefined) return undefined;
  const statement = statements[failedStatementIndex];
  if (!statement) return undefined;
  const plpgsql = locatePlpgsqlLine(script, statement, error);
  if (plpgsql) return { ...plpgsql, via: 'plpgsql', statementIndex: failedStatementIndex };
  return { ...lineColumnAt(script.text, script.bodyOffset + statement.start), via: 'statement', statementIndex: failedStatementIndex };
}

/**
 * A run-time error inside a DO block or a function body created by the same statement carries
 * `where: PL/pgSQL function ... line N`: line N of the dollar-quoted body, found in the statement.
 * PL/pgSQL counts lines by LF only (a lone CR does not start one), and so does this search; the
 * place found is then turned into the file's line and column, which count CR and CRLF too.
 */
function locatePlpgsqlLine(script: Script, statement: ScriptStatement, error: SqlErrorInfo): { line: number; column: number } | undefined {
  const functionLine = lineInStatementBody(statement, error.where);
  if (functionLine === undefined) return undefined;
  const quote = /\$([A-Za-z_][A-Za-z0-9_]*)?\$/.exec(statement.text);
  if (!quote) return undefined;
  const bodyStartInStatement = quote.index + quote[0].length;
  let index = bodyStartInStatement;
  for (let line = 1; line < functionLine; line++) {
    const next = statement.text.indexOf('\n', index);
    if (next === -1) return undefined;
    index = next + 1;
  }
  const lineEnd = statement.text.indexOf('\n', index);
  const lineText = statement.text.slice(index, lineEnd === -1 ? undefined : lineEnd);
  let column = lineText.length - lineText.trimStart().length;
  const word = tokenAt(error.internalQuery, error.internalPosition);
  if (word) {
    const found = lineText.toLowerCase().indexOf(word.toLowerCase());
    if (found !== -1) column = found;
  }
  return lineColumnAt(script.text, script.bodyOffset + statement.start + index + column);
}

/**
 * The line, in the dollar-quoted body the statement itself contains, that `where` blames. `where` is
 * a call stack, innermost frame first: an error in a function called from a DO block names the
 * function's line first and the DO block's (inline_code_block) last, and only the DO block's line is
 * in this file. A CREATE FUNCTION or PROCEDURE whose body does not compile says
 * "compilation of PL/pgSQL function ... near line N". Any other frame is not this statement's.
 */
export function lineInStatementBody(statement: Pick<ScriptStatement, 'text'>, where: string | undefined): number | undefined {
  if (!where) return undefined;
  const frames = where.split('\n');
  if (/^\s*do\b/i.test(statement.text)) {
    const own = frames.map((f) => /^PL\/pgSQL function inline_code_block line (\d+)/.exec(f)).filter((m) => m !== null).at(-1);
    return own ? Number(own[1]) : undefined;
  }
  if (/^\s*create\s+(or\s+replace\s+)?(function|procedure)\b/i.test(statement.text)) {
    const compiling = frames.map((f) => /^compilation of PL\/pgSQL function .* near line (\d+)/.exec(f)).find((m) => m !== null);
    return compiling ? Number(compiling[1]) : undefined;
  }
  return undefined;
}

function tokenAt(text: string | undefined, position: number | undefined): string | undefined {
  if (!text || position === undefined) return undefined;
  const start = utf16IndexFromCodePointPosition(text, position);
  const match = /^[\p{L}\p{N}_$."]+/u.exec(text.slice(start));
  return match?.[0];
}
