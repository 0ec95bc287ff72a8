import os from 'node:os';
import type { StrataConfig } from '../config.js';
import type { Database } from '../db/database.js';
import { readApplied } from '../db/tracking.js';
import { prepareTracking, upgradeNote } from '../db/tracking-schema.js';
import { problem, StrataError, type Problem } from '../errors.js';
import { acquireRunLock, lockTimeoutProblem, releaseRunLock, type HeldLock, type LockHolder } from './advisory-lock.js';
import { executeSteps, type Failure, type StepOutcome } from './execute-steps.js';
import type { AppliedRevision } from '../plan/applied-revision.js';
import { downScriptOf, planDown, planUp, type Plan, type PlanUpOptions, type Script, type Step } from '../plan/plan.js';
import { buildRevisions, type RevisionSet } from '../revision/build-revisions.js';
import { checkScripts } from '../revision/check-scripts.js';
import { readMigrationTree, type MigrationTree, type TreeFileSystem } from '../revision/read-migration-tree.js';
import { withoutBom } from '../revision/parse-header.js';
import { attachCodeFrames } from '../text/source-position.js';
import type { SqlStatement } from '../sql/sql-statements.js';
import type { DevEvent } from '../watch/dev-events.js';

export type StrataEvent =
  | { type: 'database'; description: string; isEmbedded: boolean }
  | { type: 'lock-wait'; holder: LockHolder | undefined; timeoutMs: number }
  | { type: 'lock-acquired'; waitedMs: number }
  | { type: 'step-start'; step: Step; index: number; total: number }
  | { type: 'step-done'; outcome: StepOutcome; index: number; total: number }
  | { type: 'note'; message: string }
  | DevEvent;

export type EventListener = (event: StrataEvent) => void;

export type RunCommand = 'up' | 'down' | 'redo' | 'dev';

export type RunReport =
  | { ok: true; command: RunCommand; steps: StepOutcome[]; notes: string[] }
  /** nothing ran: bad files, headers, chain, checksums, SQL that does not parse, or arguments */
  | { ok: false; reason: 'invalid'; command: RunCommand; problems: Problem[] }
  /** nothing ran: the lock could not be had in time, or the tracking schema could not be created, upgraded, or is too new */
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
}

/** Reads and checks every revision on disk: names, headers, checksums, the chain. */
export function loadRevisions(config: StrataConfig, fileSystem?: TreeFileSystem): RevisionSet {
  const read = readMigrationTree(config.dir, fileSystem);
  if (!read.ok) {
    return {
      revisions: [],
      problems: [problem(read.reason === 'missing' ? 'DIR_MISSING' : 'DIR_UNREADABLE', {
        file: config.dirLabel,
        message: read.reason === 'missing' ? `migrations folder ${config.dirLabel} does not exist` : `cannot read ${config.dirLabel}: ${read.detail}`,
        hint: read.reason === 'missing' ? "run 'strata init', or point --dir / STRATA_DIR at your migrations" : 'check its permissions',
      })],
    };
  }
  const set = buildRevisions(read.tree, config.dirLabel);
  return set.problems.length === 0 ? set : { ...set, problems: attachCodeFrames(set.problems, (file) => fileText(read.tree, config.dirLabel, file)) };
}

/** The normalised text of `file` (as printed: `<dir>/<revision>/up.sql`) from the tree read for this run. */
function fileText(tree: MigrationTree, dirLabel: string, file: string): string | undefined {
  const [folder, name, ...rest] = file.slice(dirLabel.length + 1).split('/');
  if (!file.startsWith(`${dirLabel}/`) || !folder || !name || rest.length > 0) return undefined;
  const entry = tree.entries.find((e) => e.name === folder);
  const content = entry?.kind === 'directory' ? entry.files[name] : undefined;
  return content?.kind === 'bytes' ? withoutBom(new TextDecoder().decode(content.bytes)) : undefined;
}

export function currentActor(): string {
  let user = process.env.USER ?? 'unknown';
  try {
    user = os.userInfo().username;
  } catch {
    // no passwd entry (containers): keep $USER
  }
  return `${user}@${os.hostname()}`;
}

type Planner = (set: RevisionSet, applied: readonly AppliedRevision[]) => Plan<Step>;
type Tracking = Awaited<ReturnType<typeof readApplied>>;

/**
 * The one path every writing command takes: check files, read applied rows, plan, parse the SQL
 * that will run — all before any write — then lock, re-read and re-plan under the lock (another
 * runner may have moved the database while we waited), create the tracking schema if needed, and
 * execute.
 */
export async function runPlanned(
  db: Database,
  config: StrataConfig,
  command: RunCommand,
  planner: Planner,
  options: RunOptions,
  emit: EventListener,
  revisionSet?: RevisionSet,
  /** the tracking rows the caller has just read (strata dev), so they are not read again before the lock */
  justRead?: Tracking,
): Promise<RunReport> {
  const set = revisionSet ?? loadRevisions(config);
  if (set.problems.length > 0) return { ok: false, reason: 'invalid', command, problems: set.problems };

  let tracking = justRead ?? await readApplied(db, config.schema);
  let plan = planner(set, tracking.applied);
  if (!plan.ok) return { ok: false, reason: 'invalid', command, problems: plan.problems };
  if (plan.steps.length === 0) return { ok: true, command, steps: [], notes: [] };

  const checked = await checkSteps(plan.steps, options, db.serverVersionNum);
  if (checked.problems.length > 0) return { ok: false, reason: 'invalid', command, problems: checked.problems };

  const lock = await lockForRun(db, config, emit);
  if (!lock.ok) return { ok: false, reason: 'unavailable', command, problems: [lock.problem] };
  try {
    // Plan again under the lock even when it was free: another runner may have finished between
    // the first read and the lock, and the first plan would apply its revisions a second time.
    const firstSteps = plan.steps;
    tracking = await readApplied(db, config.schema);
    plan = planner(set, tracking.applied);
    if (!plan.ok) return { ok: false, reason: 'invalid', command, problems: plan.problems };
    if (plan.steps.length === 0) return { ok: true, command, steps: [], notes: ['another runner had already done the work'] };
    // Scripts already parsed before the lock are reused; only steps new to this plan are parsed.
    const unparsed = plan.steps.filter((step) => !checked.statements.has(step.script) && !adoptParsed(step, firstSteps, checked.statements));
    if (unparsed.length > 0) {
      const recheck = await checkSteps(unparsed, options, db.serverVersionNum);
      if (recheck.problems.length > 0) return { ok: false, reason: 'invalid', command, problems: recheck.problems };
      for (const [script, statements] of recheck.statements) checked.statements.set(script, statements);
    }
    const prepared = await prepareTracking(db, config.schema, currentActor());
    if (!prepared.ok) return { ok: false, reason: 'unavailable', command, problems: [prepared.problem] };
    const notes = plan.steps.flatMap((s) => (s.direction === 'down' && s.note ? [`${s.id}: ${s.note}`] : []));
    if (prepared.action === 'upgraded') notes.unshift(upgradeNote(config.schema, prepared.from));
    for (const note of notes) emit({ type: 'note', message: note });
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
      events: {
        stepStarted: (step, index, total) => emit({ type: 'step-start', step, index, total }),
        stepFinished: (outcome, index, total) => emit({ type: 'step-done', outcome, index, total }),
      },
    });
    if (result.ok === 'interrupted') return { ok: false, reason: 'interrupted', command, steps: result.outcomes };
    if (!result.ok) return { ok: false, reason: 'failed', command, steps: result.outcomes, failure: result.failure };
    return { ok: true, command, steps: result.outcomes, notes };
  } finally {
    await releaseRunLock(lock.lock, config.schema);
  }
}

/**
 * Takes the run's advisory lock; if another session holds it, says who and waits (bounded by
 * --lock-timeout), then says how long it waited.
 */
export async function lockForRun(db: Database, config: StrataConfig, emit: EventListener): Promise<{ ok: true; lock: HeldLock } | { ok: false; problem: Problem }> {
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

/** Reuses the statements of the same step (same id, direction and body) from the plan made before the lock. */
function adoptParsed(step: Step, earlier: readonly Step[], statements: Map<Script, SqlStatement[]>): boolean {
  const twin = earlier.find((e) => e.id === step.id && e.direction === step.direction && e.script.body === step.script.body);
  const parsed = twin && statements.get(twin.script);
  if (!parsed) return false;
  statements.set(step.script, parsed);
  return true;
}

/** Parses the scripts the steps will run (and refuses Transaction: off inside --single-transaction). */
/** `serverVersionNum`, when the server is known: the scripts are checked against its grammar too (see server-grammar.ts). */
export async function checkSteps(steps: readonly Step[], options: RunOptions, serverVersionNum?: number): Promise<{ problems: Problem[]; statements: Map<Script, SqlStatement[]> }> {
  // an up step's down.sql is parsed too: a broken down.sql found at apply time, not during a rollback
  const downScripts = steps.flatMap((step) => (step.direction === 'up'
    ? [{ script: downScriptOf(step.revision), role: 'down' as const }]
    : []));
  const upAndDown = steps.map((step) => ({ script: step.script, role: step.direction, requiresStatements: step.direction === 'up' && step.id === options.awaitSqlIn }));
  const result = await checkScripts([...upAndDown, ...downScripts]);
  if (serverVersionNum !== undefined && serverVersionNum > 0 && serverVersionNum < 180000) {
    // the scripts PostgreSQL 18's grammar accepted, read again with the server's (loaded only now)
    const parsed = [...upAndDown, ...downScripts].map((s) => s.script).filter((s) => result.statements.has(s));
    const { checkServerGrammar } = await import('../sql/server-grammar.js');
    result.problems.push(...await checkServerGrammar(parsed, serverVersionNum));
  }
  if (options.singleTransaction === true) {
    for (const step of steps) {
      if (!step.script.transactional) {
        result.problems.push(problem('NOT_TRANSACTIONAL_IN_SINGLE_TRANSACTION', {
          file: step.script.path, line: 1,
          message: `${step.id} has 'Transaction: off', so it cannot run inside --single-transaction`,
          hint: 'run without --single-transaction, or run up to the revision before it first',
        }));
      }
    }
  }
  return result;
}

export const planners = {
  up: (target: string, options: PlanUpOptions): Planner => (set, applied) => planUp(set.revisions, applied, target, options),
  down: (target: string): Planner => (set, applied) => planDown(set.revisions, applied, target),
  /** Revert the newest applied revision and apply it again from disk (one transaction when both allow). */
  redo: (): Planner => (set, applied) => {
    const down = planDown(set.revisions, applied, '-1');
    if (!down.ok) return down;
    const reverted = down.steps[0];
    if (!reverted) {
      return { ok: false, problems: [problem('TARGET_INVALID', { message: 'nothing is applied, so there is nothing to redo', hint: 'use strata up' })] };
    }
    const remaining = applied.filter((a) => a.id !== reverted.id);
    const up = planUp(set.revisions, remaining, reverted.id);
    if (!up.ok) return up;
    const reapplied = up.steps.find((s) => s.id === reverted.id);
    if (!reapplied) {
      return {
        ok: false,
        problems: [problem('APPLIED_MISSING', {
          message: `${reverted.id} is not on disk, so it cannot be applied again`,
          hint: `use strata down to revert it (with its stored down.sql)`,
        })],
      };
    }
    return { ok: true, steps: [reverted, reapplied] };
  },
};
