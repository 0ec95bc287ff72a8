import { problem, type Problem } from '../errors.js';
import type { Script } from '../sql/script.js';
import { attachCodeFrames, lineColumnAt } from '../text/source-position.js';
import { loadSqlParser } from '../sql/parser.js';
import { splitStatements, type ScriptStatement } from '../sql/split-statements.js';
import { noParseCache, type ParseCache } from './parse-cache.js';
import { isUntouchedTemplate } from './templates.js';

export interface ScriptCheck {
  problems: Problem[];
  /**
   * The statements of each script that parsed, without their syntax trees: a script found in the
   * parse cache is not parsed at all. Code that needs the trees (a linter) parses the scripts it
   * reads with splitStatements itself, once, and only then.
   */
  statements: Map<Script, ScriptStatement[]>;
}

export interface ScriptToCheck {
  /** a revision's script carries its id (RevisionScript), which every problem about it then carries too */
  script: Script & { revision?: string };
  role: 'up' | 'down';
  /** refuse an up.sql without statements even when it is not the template (strata dev waits for the SQL of the revision being written) */
  requiresStatements?: boolean;
}

/**
 * Parses the scripts a run will execute, before anything runs: syntax errors, psql
 * meta-commands, transaction control in a transactional revision, statements that cannot
 * run in a transaction, and an up.sql still as `strata new` wrote it. An up.sql of comments
 * only is a no-op revision, applied and recorded; a down.sql without statements is allowed.
 */
const COPY_HINT = 'write the rows as INSERT ... VALUES, or COPY FROM a file the database server can read (a path on the server)';

export async function checkScripts(scripts: readonly ScriptToCheck[], cache: ParseCache = noParseCache): Promise<ScriptCheck> {
  const problems: Problem[] = [];
  const statements = new Map<Script, ScriptStatement[]>();
  if (scripts.length === 0) return { problems, statements };
  const found = scripts.map(({ script }) => cache.get(script.body));
  if (found.some((parsed) => parsed === undefined)) await loadSqlParser();
  for (const [index, { script, role, requiresStatements }] of scripts.entries()) {
    const about = script.revision === undefined ? { file: script.path } : { file: script.path, revision: script.revision };
    const at = (bodyIndex: number) => ({ ...about, ...lineColumnAt(script.text, script.bodyOffset + bodyIndex) });
    const fileName = role === 'down' ? 'down.sql' : 'up.sql';
    const cached = found[index];
    const split = cached ? undefined : splitStatements(script.body);
    if (split?.ok) cache.set(script.body, { statements: split.statements, olderGrammars: [] });
    const result = cached ? { ok: true as const, statements: cached.statements }
      : split!.ok ? { ok: true as const, statements: split!.statements.map(({ ast: _tree, ...statement }): ScriptStatement => statement) } : split!;
    if (!result.ok) {
      const { kind, message, offset } = result.problem;
      problems.push(kind === 'meta-command'
        ? problem('SQL_META_COMMAND', { ...at(offset), message, hint: 'strata runs plain SQL; write the SQL itself (e.g. paste the file an \\i includes) or move psql scripting out of the migration' })
        : kind === 'copy-data'
        ? problem('SQL_COPY_FROM_STDIN', { ...at(offset), message, hint: COPY_HINT })
        : kind === 'too-deep'
        ? problem('SQL_TOO_DEEP', { ...at(offset), message, hint: 'write it flatter: long sums or IN lists as an array or a VALUES list, nested CASEs as one CASE; PostgreSQL limits nesting too (max_stack_depth)' })
        : problem('SQL_SYNTAX', { ...at(offset), message: /^syntax error/i.test(message) ? message : `syntax error: ${message}`, hint: 'fix the SQL at this position; nothing has run' }));
      continue;
    }
    statements.set(script, result.statements);
    if (role === 'up' && result.statements.length === 0) {
      const isTemplate = isUntouchedTemplate(script.body);
      if (isTemplate || requiresStatements) {
        problems.push(problem('SQL_EMPTY', {
          ...about, line: lineColumnAt(script.text, script.bodyOffset).line,
          message: isTemplate ? "up.sql has no SQL yet: it is still as 'strata new' wrote it" : 'up.sql has no SQL statements yet',
          hint: 'write the change below the header, or delete the revision folder if it is not needed; a revision that deliberately does nothing says why in a comment, and is applied as a no-op',
        }));
      }
    }
    for (const statement of result.statements) {
      if (statement.readsStdin) {
        problems.push(problem('SQL_COPY_FROM_STDIN', {
          ...at(statement.start),
          message: 'COPY ... FROM STDIN has no rows to read here: psql sends the lines that follow it in a file, strata runs SQL only',
          hint: COPY_HINT,
        }));
      }
    }
    if (!script.transactional) {
      const blocks = transactionBlocks(result.statements);
      for (const { statement, opener } of blocks.misplaced) {
        problems.push(opener
          ? problem('SQL_NEEDS_NO_TRANSACTION', {
            ...at(statement.start),
            message: `${statement.label} cannot run inside a transaction block, and the block opened at line ${at(opener.start).line} (${opener.label}) is still open here`,
            hint: `move it after the COMMIT that ends the block, or before line ${at(opener.start).line}: in a Transaction: off revision it then runs on its own`,
          })
          : problem('SQL_TRANSACTION_CONTROL', {
            ...at(statement.start),
            message: `${statement.label} outside a transaction block: the server refuses it there (savepoints exist only inside BEGIN ... COMMIT)`,
            hint: `put it between a BEGIN and its COMMIT, or remove it`,
          }));
      }
      const opener = blocks.leftOpen;
      if (opener) {
        problems.push(problem('SQL_TRANSACTION_LEFT_OPEN', {
          ...at(opener.start),
          message: `${opener.label} opens a transaction block that ${fileName} never closes: strata would have to record the revision inside it, and the server rolls an open block back when the connection ends`,
          hint: 'end the block with COMMIT (or ROLLBACK) before the end of the file',
        }));
      }
      continue;
    }
    for (const statement of result.statements) {
      if (statement.isTransactionControl) {
        problems.push(problem('SQL_TRANSACTION_CONTROL', {
          ...at(statement.start),
          message: `${statement.label} in a transactional revision: strata already runs each revision in its own transaction`,
          hint: `remove the ${statement.label}, or add '--! Transaction: off' to the header to manage transactions yourself`,
        }));
      } else if (statement.cannotRunInTransaction) {
        problems.push(problem('SQL_NEEDS_NO_TRANSACTION', {
          ...at(statement.start),
          message: `${statement.label} cannot run inside a transaction block`,
          hint: `add '--! Transaction: off' to the header of ${fileName} so it runs statement by statement`,
        }));
      }
    }
  }
  const textOf = new Map(scripts.map(({ script }) => [script.path, script.text]));
  return { problems: attachCodeFrames(problems, (file) => textOf.get(file)), statements };
}

/**
 * The transaction blocks of a Transaction: off script, from its top-level transaction control,
 * found before anything runs (the executor checks the same with the server's word as it runs):
 * - `misplaced`: what the server refuses because of where it stands, instead of after the
 *   statements before it took effect: a statement that cannot run in a transaction block inside
 *   a BEGIN ... COMMIT of the script (with the statement that opened the block), and a SAVEPOINT,
 *   RELEASE or ROLLBACK TO outside any block (opener undefined);
 * - `leftOpen`: the statement that opens the block the script is still in at its end (BEGIN
 *   without COMMIT, or a COMMIT/ROLLBACK AND CHAIN last).
 */
function transactionBlocks(statements: readonly ScriptStatement[]): {
  misplaced: Array<{ statement: ScriptStatement; opener: ScriptStatement | undefined }>;
  leftOpen: ScriptStatement | undefined;
} {
  const misplaced: Array<{ statement: ScriptStatement; opener: ScriptStatement | undefined }> = [];
  let opener: ScriptStatement | undefined;
  for (const statement of statements) {
    const control = statement.transaction;
    if (control?.kind === 'begin') opener ??= statement;
    else if (control?.kind === 'commit' || control?.kind === 'rollback' || control?.kind === 'prepare') opener = control.chain ? statement : undefined;
    else if (control?.kind === 'savepoint' || control?.kind === 'release' || control?.kind === 'rollback-to') {
      if (!opener) misplaced.push({ statement, opener: undefined });
    } else if (statement.cannotRunInTransaction && opener) misplaced.push({ statement, opener });
  }
  return { misplaced, leftOpen: opener };
}
