import type { Database } from '../db/database.js';
import { clearProgressSql, isStillRunning, statementChecksum, type ProgressRow } from '../db/progress.js';
import { problem, type Problem } from '../errors.js';
import type { Script, Step } from '../plan/plan.js';
import type { ScriptStatement } from '../sql/split-statements.js';
import { statementLine } from './failure.js';
import { concurrentIndexName } from './statement-by-statement.js';

/**
 * Resuming a Transaction: off revision that failed part way (progress.ts): the next run of it
 * starts at the first statement that did not take effect, after checking that the ones that did
 * are unchanged. Decided under the run's lock, before anything of the plan runs.
 */
export interface ResumePoint {
  /** 0-based: the statement the step starts at; those before it took effect in an earlier run */
  from: number;
  /** the statement at `from` is a CREATE INDEX CONCURRENTLY whose failure may have left an INVALID index: dropped first */
  dropsInvalidIndex: boolean;
  row: ProgressRow;
}

export type ResumeCheck =
  /** `forget`: the progress rows that are history now, for the caller to delete once the run goes on (a refused run writes nothing) */
  | { ok: true; resume: Map<Step, ResumePoint>; notes: string[]; forget: string[] }
  | { ok: false; reason: 'invalid' | 'unavailable'; problems: Problem[] };

export interface ResumeRequest {
  steps: readonly Step[];
  progress: readonly ProgressRow[];
  /** ids recorded as applied */
  applied: ReadonlySet<string>;
  statementsOf(script: Script): readonly ScriptStatement[];
  /** `up --resume-at N`: start the partly applied revision at statement N (1-based), whatever the progress says */
  resumeAt?: number | undefined;
  schema: string;
}

export async function checkResume(db: Database, request: ResumeRequest): Promise<ResumeCheck> {
  const { steps, applied, schema } = request;
  // a row whose revision is done in its direction since (strata stamp, a hand-made record) is history
  const isStale = (row: ProgressRow) => (row.direction === 'up') === applied.has(row.revisionId);
  const stale = request.progress.filter(isStale);
  const forget = stale.map((row) => clearProgressSql(schema, row.revisionId, row.direction));
  const progress = request.progress.filter((row) => !isStale(row));
  const invalid = (problems: Problem[]): ResumeCheck => ({ ok: false, reason: 'invalid', problems });

  const partlyUp = progress.find((row) => row.direction === 'up');
  if (partlyUp && steps.some((s) => s.direction === 'down')) {
    return invalid([problem('PARTIAL_REVISION', {
      revision: partlyUp.revisionId,
      message: `${partlyUp.revisionId} is partly applied (${partlyUp.done} of ${partlyUp.statementCount} statements took effect): strata down would revert the revisions before it with its statements still in place`,
      hint: `finish it first with strata up (it resumes at statement ${partlyUp.done + 1}), then strata down reverts it with its down.sql and goes on`,
    })]);
  }
  const resume = new Map<Step, ResumePoint>();
  const notes: string[] = [];
  const first = steps[0];
  const row = first && progress.find((r) => r.revisionId === first.id && r.direction === first.direction);
  if (request.resumeAt !== undefined && !row) return invalid([nothingToResume(first, request.resumeAt)]);
  if (!first || !row) return { ok: true, resume, notes, forget };
  if (first.recordOnly) {
    // strata stamp records it done without its SQL: what ran of it part way is the user's to keep
    forget.push(clearProgressSql(schema, row.revisionId, row.direction));
    notes.push(`${first.id}: ${row.done} of ${row.statementCount} statements of its ${row.direction === 'up' ? 'up.sql' : 'down.sql'} took effect in an earlier run (${row.actor}); stamp ${row.direction === 'up' ? 'records it as applied' : 'removes its record'} without running the rest, and forgets that progress`);
    return { ok: true, resume, notes, forget };
  }

  const statements = request.statementsOf(first.script);
  const file = first.script.path;
  const line = (index: number) => statementLine(first, statements, Math.min(index, statements.length - 1));
  const where = `${row.done} of ${row.statementCount} statements of ${first.id} took effect in an earlier run (${row.actor}, ${row.updatedAt.toISOString()})`;
  if (first.script.transactional) {
    return invalid([problem('RESUME_CHANGED', {
      file, line: 1, revision: first.id,
      message: `${where}, which ran it as Transaction: off; it is a transactional revision now`,
      hint: `put 'Transaction: off' back in its header, or undo what those statements did by hand and run strata up --resume-at 1`,
    })]);
  }
  const resumeHint = (done: number) => `put the statement back as it was (git diff shows the change), or undo statements 1–${done} by hand and run strata up --resume-at 1 to run ${first.id} from its first statement`;
  let from: number;
  if (request.resumeAt !== undefined) {
    if (!Number.isInteger(request.resumeAt) || request.resumeAt < 1 || request.resumeAt > statements.length) {
      return invalid([problem('ARGUMENT_INVALID', { message: `--resume-at must be a statement number from 1 to ${statements.length} (the statements of ${first.id}), got '${request.resumeAt}'`, hint: `e.g. strata up --resume-at ${row.done + 1}` })]);
    }
    from = request.resumeAt - 1;
  } else {
    for (let k = 0; k < row.done; k++) {
      if (k >= statements.length || statementChecksum(statements[k]!.text) !== row.checksums[k]) {
        return invalid([problem('RESUME_CHANGED', {
          file, line: line(k), revision: first.id,
          message: k >= statements.length
            ? `${where}, but it has ${statements.length} statements now: statement ${k + 1} is gone`
            : `${where}; statement ${k + 1} (line ${line(k)}) is not the text that ran then, so resuming at statement ${row.done + 1} could leave the database unlike the file`,
          hint: resumeHint(row.done),
        })]);
      }
    }
    from = row.done;
    if (row.failedAt === null && from < statements.length) {
      const known = await unseenFate(db, row, statements[from]!);
      if (known === 'running') {
        return { ok: false, reason: 'unavailable', problems: [problem('RESUME_STILL_RUNNING', {
          file, line: line(from), revision: first.id,
          message: `${where}; the run ended without saying what became of statement ${from + 1} (line ${line(from)}), and the server process it was sent to (pid ${row.pid}) is still there: it may still be running it`,
          hint: `wait for it to finish, or cancel it (select pg_cancel_backend(${row.pid})), then run strata up again`,
        })] };
      }
      if (known === 'unknown') {
        return invalid([problem('RESUME_UNKNOWN', {
          file, line: line(from), revision: first.id,
          message: `${where}; the run ended without saying what became of statement ${from + 1} (line ${line(from)}): killed, or its connection lost while the statement ran, so it may or may not have taken effect`,
          hint: `look at the database: if statement ${from + 1} took effect, run strata up --resume-at ${from + 2}; if not, strata up --resume-at ${from + 1}`,
        })]);
      }
      if (known === 'took-effect') from++;
    }
  }
  const dropsInvalidIndex = from < statements.length && concurrentIndexName(statements[from]!) !== undefined;
  resume.set(first, { from, dropsInvalidIndex, row });
  notes.push(from >= statements.length
    ? `${first.id}: every statement took effect in an earlier run (${row.actor}); it is recorded now`
    : `resuming ${first.id} at statement ${from + 1} of ${statements.length} (line ${line(from)}): ${from === 0 ? 'none' : from === 1 ? 'statement 1' : `statements 1–${from}`} took effect in an earlier run (${row.actor}, ${row.updatedAt.toISOString()})${dropsInvalidIndex ? '; an INVALID index left by its CREATE INDEX CONCURRENTLY is dropped and built again' : ''}`);
  return { ok: true, resume, notes, forget };
}

/** `up --resume-at N` where no progress of the first step is recorded */
export function nothingToResume(first: Step | undefined, resumeAt: number): Problem {
  return problem('ARGUMENT_INVALID', {
    message: `--resume-at ${resumeAt}: ${first ? `${first.id} has` : 'there is'} no recorded progress to resume (no Transaction: off revision failed part way)`,
    hint: 'leave out --resume-at: strata up resumes a partly applied revision by itself',
  });
}

/**
 * What became of the statement after the done ones when no run saw it end: still running where
 * it was sent; for a CREATE INDEX CONCURRENTLY, what the catalog says (valid: it took effect;
 * INVALID or absent: it runs again, the INVALID one dropped first); otherwise unknown.
 */
async function unseenFate(db: Database, row: ProgressRow, next: ScriptStatement): Promise<'running' | 'took-effect' | 'not-run' | 'unknown'> {
  if (await isStillRunning(db, row)) return 'running';
  const index = concurrentIndexName(next);
  if (!index) return 'unknown';
  const rows = await db.query<{ valid: boolean }>('select i.indisvalid as valid from pg_catalog.pg_index i where i.indexrelid = to_regclass($1)', [index]);
  return rows[0]?.valid ? 'took-effect' : 'not-run';
}
