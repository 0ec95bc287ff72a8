import { problem, type Problem } from '../errors.js';
import { attachCodeFrames, lineColumnAt } from '../text/source-position.js';
import { loadOlderGrammar } from './parser.js';
import type { Script } from './script.js';
import { syntaxProblemAt } from './syntax-problem.js';

/**
 * strata reads SQL with PostgreSQL 18's parser; a server of an older major version does not know
 * everything 18 accepts (JSON_OBJECT's `'a': 1` before 16, MERGE ... RETURNING before 17, WITHOUT
 * OVERLAPS before 18). Such a revision would pass the check and fail on the server after the
 * revisions before it were applied. So the scripts of a run are also parsed with the server's own
 * grammar (libpg-query's build for that major version, loaded by parser.ts only when the server is
 * older than 18), before anything runs.
 */
export async function checkServerGrammar(scripts: readonly Script[], serverVersionNum: number): Promise<Problem[]> {
  const major = Math.floor(serverVersionNum / 10000);
  if (scripts.length === 0) return [];
  const grammar = loadOlderGrammar(major);
  if (!grammar) return [];
  const pg = await grammar;
  const problems: Problem[] = [];
  for (const script of scripts) {
    if (script.body.trim() === '') continue;
    try {
      pg.parseSync(script.body);
    } catch (error) {
      if (!pg.hasSqlDetails(error) && !(error instanceof RangeError)) throw error;
      const found = syntaxProblemAt(script.body, error.message, pg.hasSqlDetails(error) ? error.sqlDetails?.cursorPosition ?? 0 : 0);
      problems.push(problem('SQL_SYNTAX', {
        file: script.path,
        ...lineColumnAt(script.text, script.bodyOffset + found.offset),
        message: `${found.message}: PostgreSQL ${major}, the server's version, does not have this syntax (it is newer)`,
        hint: `write it the way PostgreSQL ${major} can run it, or upgrade the server; nothing has run`,
      }));
    }
  }
  const textOf = new Map(scripts.map((s) => [s.path, s.text]));
  return attachCodeFrames(problems, (file) => textOf.get(file));
}
