import type { StrataConfig } from '../config.js';
import type { Database } from '../db/database.js';
import { readApplied, recordSquashStatement } from '../db/tracking.js';
import { prepareTracking, upgradeNote } from '../db/tracking-schema.js';
import { StrataError, type Problem } from '../errors.js';
import type { Script, Step } from '../plan/plan.js';
import type { Planner } from '../plan/planners.js';
import { databaseView, squashRecordOf } from '../plan/squashes.js';
import type { LintOptions } from '../lint/lint-files.js';
import { openParseCache, type ParseCache } from '../revision/parse-cache.js';
import type { RevisionSet } from '../revision/build-revisions.js';
import type { Revision } from '../revision/revision.js';
import { currentActor } from './actor.js';
import { acquireRunLock, lockTimeoutProblem, releaseRunLock, type HeldLock } from './advisory-lock.js';
import { adoptParsed, checkSteps, planAndCheck, stepsByKey } from './check-steps.js';
import type { RunEventListener } from './events.js';
import { executeSteps, type Failure, type StepOutcome } from './execute-steps.js';
import type { ScriptStatement } from '../sql/split-statements.js';
import { readProgress } from '../db/progress.js';
import { checkResume, nothingToResume } from './resume.js';

/**
 * THE run pipeline, taken by every command that writes: up, down, redo, stamp (record-only
 * steps), and each run of strata dev. `strata sql` shares its checks (render-run.ts).
 *
 *   plan -> check (parse every script) -> lock -> re-read and re-plan under the lock
 *        -> tracking schema -> execute the steps -> report
 *
 * Everything a user can get wrong is found before the lock, with nothing held; the plan is made
 * again under the lock, because another runner may have moved the database while this one waited.
 */

export type RunCommand = 'up' | 'down' | 'redo' | 'dev' | 'stamp';

export type RunReport =
  | { ok: true; command: RunCommand; steps: StepOutcome[]; notes: string[] }
  /** nothing ran: bad files, headers, chain, checksums, SQL that does not parse, or arguments */
  | { ok: false; reason: 'invalid'; command: RunCommand; problems: Problem[] }
  /** nothing ran: the database could not be opened, the lock could not be had in time, or the tracking schema could not be created, upgraded, or is too new */
  | { ok: false; reason: 'unavailable'; command: RunCommand; problems: Problem[] }
  /** a revision failed while running */
  | { ok: false; reason: 'failed'; command: RunCommand; steps: StepOutcome[]; failure: Failure }
  /** asked to stop (Ctrl-C): the steps listed were applied, the run stopped at the boundary after them */
  | { ok: false; reason: 'interrupted'; command: RunCommand; steps: StepOutcome[] };

export interface RunOptions {
  /** one transaction for the whole run; 'when-possible' (redo, dev) falls back to one per step when a step has Transaction: off */
  singleTransaction?: boolean | 'when-possible';
  /** abort to stop at the next revision boundary */
  signal?: AbortSignal;
  allowOutOfOrder?: boolean;
  /**
   * strata dev: the revision being written. While its up.sql has no statements (comments only)
   * the run is refused with SQL_EMPTY, so dev waits for the SQL instead of recording a draft.
   */
  awaitSqlIn?: string | undefined;
  /** awaited between two steps (see ExecuteOptions.afterStep) */
  afterStep?: ((done: Step, next: Step) => Promise<void>) | undefined;
  /** awaited once every step has run and committed, still under the run's lock (strata dev tries the new down.sql) */
  afterRun?: ((steps: readonly Step[]) => Promise<void>) | undefined;
  /** see ExecuteOptions.batchBudgetMs */
  batchBudgetMs?: number;
  /** parse results shared with the other runs of a fleet (parse-cache.ts) */
  parseCache?: ParseCache;
  /** `up --resume-at N`: run the partly applied Transaction: off revision from its statement N (1-based) instead of where its progress says */
  resumeAt?: number | undefined;
  /** up: lint the pending revisions' up.sql and report its errors as a `lint` event (never blocking); false skips it */
  lint?: false | LintOptions;
}

type Tracking = Awaited<ReturnType<typeof readApplied>>;

export interface RunRequest {
  command: RunCommand;
  planner: Planner;
  /** the revisions on disk, read and checked by the caller (before it connected) */
  revisions: RevisionSet;
  options?: RunOptions;
  /** the tracking rows the caller has just read (strata dev), so they are not read again before the lock */
  justRead?: Tracking;
  /** what to say when there is nothing to do: before the lock (default: nothing) and under it */
  nothingToDo?: { beforeLock?: string; underLock: string };
}

/**
 * A run's checks while the embedded database does not exist yet: a new one has nothing applied,
 * so the run is planned and checked as on it first, and one that is refused, or has nothing to
 * do, creates nothing. undefined: the run goes on, and opening the database creates it.
 */
export async function checkBeforeCreating(config: StrataConfig, request: RunRequest): Promise<RunReport | undefined> {
  const { command, planner, revisions: set, options = {} } = request;
  const parseCache = options.parseCache ?? openParseCache(config.cacheDir, config.dir);
  const checked = await planAndCheck(set, [], planner, { ...options, parseCache });
  if (!checked.ok) return { ok: false, reason: 'invalid', command, problems: checked.problems };
  if (checked.steps.length === 0) return { ok: true, command, steps: [], notes: request.nothingToDo?.beforeLock === undefined ? [] : [request.nothingToDo.beforeLock] };
  if (options.resumeAt !== undefined) return { ok: false, reason: 'invalid', command, problems: [nothingToResume(checked.steps[0], options.resumeAt)] };
  return undefined;
}

const DONE_BY_ANOTHER_RUNNER = 'another runner had already done the work';

export async function runPipeline(db: Database, config: StrataConfig, request: RunRequest, emit: RunEventListener): Promise<RunReport> {
  const { command, planner, revisions: set, options = {} } = request;
  const refused = (reason: 'invalid' | 'unavailable', problems: Problem[]): RunReport => ({ ok: false, reason, command, problems });
  const nothingToDo = (note: string | undefined): RunReport => ({ ok: true, command, steps: [], notes: note === undefined ? [] : [note] });
  if (set.problems.length > 0) return refused('invalid', set.problems);

  let tracking = request.justRead ?? await readApplied(db, config.schema);
  // strata dev parses a new text on every save: its runs keep nothing between processes
  const parseCache = options.parseCache ?? (command === 'dev' ? undefined : openParseCache(config.cacheDir, config.dir));
  const checkOptions = { ...options, serverVersionNum: db.serverVersionNum, parseCache };
  const checked = await planAndCheck(set, tracking.applied, planner, checkOptions);
  if (!checked.ok) return refused('invalid', checked.problems);
  // a squashed revision whose whole range this database applied is recorded as applied, even when nothing else is to do
  if (checked.steps.length === 0 && databaseView(set, tracking.applied).unrecorded.length === 0) return nothingToDo(request.nothingToDo?.beforeLock);
  // --lock-timeout-ddl sets lock_timeout for every revision: lint's lock-timeout-missing has nothing to say then
  if (command === 'up' && options.lint !== false) await lintPending(checked.steps, checked.statements, { lockTimeoutConfigured: config.ddl.lockTimeoutMs !== undefined, ...options.lint }, parseCache, emit);

  const lock = await lockForRun(db, config, emit);
  if (!lock.ok) return refused('unavailable', [lock.problem]);
  try {
    // Plan again under the lock even when it was free: another runner may have finished between
    // the first read and the lock, and the first plan would apply its revisions a second time.
    const firstSteps = stepsByKey(checked.steps);
    tracking = await readApplied(db, config.schema, tracking);
    const plan = planner(set, tracking.applied);
    if (!plan.ok) return refused('invalid', plan.problems);
    const unrecorded = databaseView(set, tracking.applied).unrecorded;
    if (plan.steps.length === 0 && unrecorded.length === 0) return nothingToDo(request.nothingToDo?.underLock ?? DONE_BY_ANOTHER_RUNNER);
    // Scripts already parsed before the lock are reused; only steps new to this plan are parsed.
    const unparsed = plan.steps.filter((step) => !checked.statements.has(step.script) && !adoptParsed(step, firstSteps, checked.statements));
    if (unparsed.length > 0) {
      const recheck = await checkSteps(unparsed, checkOptions);
      if (recheck.problems.length > 0) return refused('invalid', recheck.problems);
      for (const [script, statements] of recheck.statements) checked.statements.set(script, statements);
    }
    // decided before the tracking schema is created or upgraded: a refused run writes nothing
    const resumed = await checkResume(db, {
      steps: plan.steps, progress: await readProgress(db, config.schema), applied: new Set(tracking.applied.map((a) => a.id)),
      statementsOf: (script) => checked.statements.get(script) ?? [], resumeAt: options.resumeAt, schema: config.schema,
    });
    if (!resumed.ok) return refused(resumed.reason, resumed.problems);
    const prepared = await prepareTracking(db, config.schema, currentActor());
    if (!prepared.ok) return refused('unavailable', [prepared.problem]);
    for (const forget of resumed.forget) await db.query(forget);
    const notes = plan.steps.flatMap((s) => (s.direction === 'down' && s.note ? [`${s.id}: ${s.note}`] : []));
    notes.push(...resumed.notes);
    if (prepared.action === 'upgraded') notes.unshift(upgradeNote(config.schema, prepared.from));
    for (const note of notes) emit({ type: 'note', message: note });
    const recorded = await recordSquashes(db, config, unrecorded, emit);
    notes.push(...recorded);
    if (plan.steps.length === 0) return { ok: true, command, steps: [], notes };
    const singleTransaction = options.singleTransaction === 'when-possible'
      ? plan.steps.every((s) => s.script.transactional)
      : options.singleTransaction ?? false;
    const result = await executeSteps(db, plan.steps, {
      schema: config.schema,
      actor: currentActor(),
      singleTransaction,
      eventAction: command === 'dev' ? 'dev' : undefined,
      statementsOf: (script) => checked.statements.get(script) ?? [],
      signal: options.signal,
      lock: lock.lock.guard,
      afterStep: options.afterStep,
      batchBudgetMs: options.batchBudgetMs,
      timeouts: config.ddl,
      resume: resumed.resume,
      events: {
        stepStarted: (step, index, total) => emit({ type: 'step-start', step, index, total }),
        stepFinished: (outcome, index, total) => emit({ type: 'step-done', outcome, index, total }),
        lockRetry: (retry) => emit({ type: 'lock-retry', ...retry }),
      },
    });
    if (result.ok) {
      await options.afterRun?.(plan.steps);
      // the run finished the range of a squashed revision this database was partway through
      if (set.revisions.some((r) => r.replaces.length > 0)) notes.push(...await recordSquashes(db, config, databaseView(set, (await readApplied(db, config.schema)).applied).unrecorded, emit));
      return { ok: true, command, steps: result.outcomes, notes };
    }
    if (result.reason === 'interrupted') return { ok: false, reason: 'interrupted', command, steps: result.outcomes };
    return { ok: false, reason: 'failed', command, steps: result.outcomes, failure: result.failure };
  } finally {
    await releaseRunLock(lock.lock, config.schema);
  }
}

/**
 * The pending revisions' up.sql, linted from the statements the checks parsed (loaded only when
 * something is pending), or from what the parse cache kept of an earlier run's lint of the same file. Only error-severity findings are reported (a `lint` event; never blocking):
 * warnings are for review time (strata lint, check), not repeated at every deploy.
 */
async function lintPending(steps: readonly Step[], statements: ReadonlyMap<Script, readonly ScriptStatement[]>, options: LintOptions, parseCache: ParseCache | undefined, emit: RunEventListener): Promise<void> {
  const items = steps.flatMap((s) => (s.direction === 'up' && !s.recordOnly ? [{ revision: s.revision, up: s.script }] : []));
  if (items.length === 0) return;
  const { countFindings, lintParsed } = await import('../lint/lint-revisions.js');
  const result = await lintParsed(items, statements, options, parseCache);
  parseCache?.save();
  const errors = result.findings.filter((f) => f.severity === 'error');
  if (errors.length > 0) emit({ type: 'lint', findings: errors, counts: countFindings(result) });
  for (const p of result.problems) emit({ type: 'note', message: `${p.file}:${p.line}: ${p.message}` });
}

/** Records each squashed revision in place of the rows of the revisions it replaces (squashes.ts); one note each. */
async function recordSquashes(db: Database, config: StrataConfig, unrecorded: readonly Revision[], emit: RunEventListener): Promise<string[]> {
  const notes: string[] = [];
  for (const squash of unrecorded) {
    await db.query(recordSquashStatement(config.schema, { ...squashRecordOf(squash), actor: currentActor() }, squash.replaces));
    const note = `recorded ${squash.id} as applied in place of the ${squash.replaces.length} revisions it replaces (${squash.replaces[0]} … ${squash.replaces.at(-1)}), which this database had applied`;
    emit({ type: 'note', message: note });
    notes.push(note);
  }
  return notes;
}

/**
 * Takes the run's advisory lock; if another session holds it, says who and waits (bounded by
 * --lock-timeout), then says how long it waited.
 */
async function lockForRun(db: Database, config: StrataConfig, emit: RunEventListener): Promise<{ ok: true; lock: HeldLock } | { ok: false; problem: Problem }> {
  const waitStarted = performance.now();
  let waited = false;
  let result: Awaited<ReturnType<typeof acquireRunLock>>;
  try {
    result = await acquireRunLock(db, config.schema, config.lockTimeoutMs, (holder) => {
      waited = true;
      emit({ type: 'lock-wait', holder, timeoutMs: config.lockTimeoutMs });
    });
  } catch (error) {
    // the lock's own connection could not be opened
    if (error instanceof StrataError && error.problems[0]) return { ok: false, problem: error.problems[0] };
    throw error;
  }
  if (!result.ok) return { ok: false, problem: lockTimeoutProblem(config.schema, config.lockTimeoutMs, result.holder) };
  if (waited) emit({ type: 'lock-acquired', waitedMs: Math.round(performance.now() - waitStarted) });
  return { ok: true, lock: result.lock };
}
