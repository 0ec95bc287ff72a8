import { problem, type Problem } from '../errors.js';
import type { AppliedRevision } from '../plan/applied-revision.js';
import { downScriptOf, type Script, type Step } from '../plan/plan.js';
import type { Planner } from '../plan/planners.js';
import type { RevisionSet } from '../revision/build-revisions.js';
import { checkScripts, type ScriptToCheck } from '../revision/check-scripts.js';
import type { SqlStatement } from '../sql/split-statements.js';
import { checkWithCache, type ParseCache } from './parse-cache.js';

export interface CheckOptions {
  /** --single-transaction: a Transaction: off step cannot be part of it */
  singleTransaction?: boolean | 'when-possible' | undefined;
  /** strata dev: the revision being written, refused while its up.sql has no statements */
  awaitSqlIn?: string | undefined;
  /** the server's version, when known: the scripts are checked against its grammar too (see server-grammar.ts) */
  serverVersionNum?: number | undefined;
  /** parse results shared with other runs of the same revisions (a fleet) */
  parseCache?: ParseCache | undefined;
}

export interface CheckedSteps {
  problems: Problem[];
  statements: Map<Script, SqlStatement[]>;
}

/**
 * Parses every script the steps will run, before anything runs: an up step's down.sql too, so a
 * broken down.sql is found at apply time, not during a rollback. A record-only step (stamp) is
 * checked as the revision it records; removing a record runs nothing, so there is nothing to parse.
 */
export async function checkSteps(steps: readonly Step[], options: CheckOptions): Promise<CheckedSteps> {
  const downScripts = steps.flatMap((step) => (step.direction === 'up' ? [{ script: downScriptOf(step.revision), role: 'down' as const }] : []));
  const upAndDown = steps.filter((step) => !(step.recordOnly && step.direction === 'down'))
    .map((step) => ({ script: step.script, role: step.direction, requiresStatements: step.direction === 'up' && step.id === options.awaitSqlIn }));
  const { serverVersionNum, parseCache } = options;
  const isOlderServer = serverVersionNum !== undefined && serverVersionNum > 0 && serverVersionNum < 180000;
  const parse = async (entries: readonly ScriptToCheck[]) => {
    const found = await checkScripts(entries);
    if (isOlderServer) {
      // the scripts PostgreSQL 18's grammar accepted, read again with the server's (loaded only now)
      const parsed = entries.map((s) => s.script).filter((s) => found.statements.has(s));
      const { checkServerGrammar } = await import('../sql/server-grammar.js');
      found.problems.push(...await checkServerGrammar(parsed, serverVersionNum));
    }
    return found;
  };
  const entries = [...upAndDown, ...downScripts];
  const grammar = isOlderServer ? String(Math.floor(serverVersionNum / 10000)) : 'current';
  const result = parseCache ? await checkWithCache(parseCache, entries, grammar, parse) : await parse(entries);
  if (options.singleTransaction === true) {
    for (const step of steps) {
      if (!step.script.transactional && !step.recordOnly) {
        result.problems.push(problem('NOT_TRANSACTIONAL_IN_SINGLE_TRANSACTION', {
          file: step.script.path, line: 1, revision: step.id,
          message: `${step.id} has 'Transaction: off', so it cannot run inside --single-transaction`,
          hint: 'run without --single-transaction, or run up to the revision before it first',
        }));
      }
    }
  }
  return result;
}

export type PreparedSteps =
  | { ok: true; steps: Step[]; statements: Map<Script, SqlStatement[]> }
  | { ok: false; problems: Problem[] };

/**
 * The first half of every run, and all of `strata sql`: plan from the revisions and the applied
 * rows, then parse every script the plan would run. Nothing is locked or written.
 */
export async function planAndCheck(set: RevisionSet, applied: readonly AppliedRevision[], planner: Planner, options: CheckOptions): Promise<PreparedSteps> {
  const plan = planner(set, applied);
  if (!plan.ok) return plan;
  if (plan.steps.length === 0) return { ok: true, steps: [], statements: new Map() };
  const checked = await checkSteps(plan.steps, options);
  return checked.problems.length > 0 ? { ok: false, problems: checked.problems } : { ok: true, steps: plan.steps, statements: checked.statements };
}

/** Reuses the statements of the same step (same id, direction and body) from a plan checked earlier. */
export function adoptParsed(step: Step, earlier: readonly Step[], statements: Map<Script, SqlStatement[]>): boolean {
  const twin = earlier.find((e) => e.id === step.id && e.direction === step.direction && e.script.body === step.script.body);
  const parsed = twin && statements.get(twin.script);
  if (!parsed) return false;
  statements.set(step.script, parsed);
  return true;
}
