import { problem, type Problem } from '../errors.js';
import type { AppliedRevision } from '../plan/applied-revision.js';
import { downScriptOf, type Script, type Step } from '../plan/plan.js';
import type { Planner } from '../plan/planners.js';
import type { RevisionSet } from '../revision/build-revisions.js';
import { checkScripts } from '../revision/check-scripts.js';
import { noParseCache, type ParseCache } from '../revision/parse-cache.js';
import type { ScriptStatement } from '../sql/split-statements.js';

export interface CheckOptions {
  /** --single-transaction: a Transaction: off step cannot be part of it */
  singleTransaction?: boolean | 'when-possible' | undefined;
  /** strata dev: the revision being written, refused while its up.sql has no statements */
  awaitSqlIn?: string | undefined;
  /** the server's version, when known: the scripts are checked against its grammar too (see server-grammar.ts) */
  serverVersionNum?: number | undefined;
  /** scripts parsed by an earlier run (revision/parse-cache.ts); none by default */
  parseCache?: ParseCache | undefined;
}

export interface CheckedSteps {
  problems: Problem[];
  statements: Map<Script, ScriptStatement[]>;
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
  const cache = options.parseCache ?? noParseCache;
  const result = await checkScripts([...upAndDown, ...downScripts], cache);
  const { serverVersionNum } = options;
  if (serverVersionNum !== undefined && serverVersionNum > 0 && serverVersionNum < 180000) {
    // the scripts PostgreSQL 18's grammar accepted, read again with the server's (loaded only now),
    // but for those an earlier run found that grammar accepts
    const major = Math.floor(serverVersionNum / 10000);
    const parsed = [...upAndDown, ...downScripts].map((s) => s.script).filter((s) => result.statements.has(s) && !cache.get(s.body)?.olderGrammars.includes(major));
    if (parsed.length > 0) {
      const { checkServerGrammar } = await import('../sql/server-grammar.js');
      const problems = await checkServerGrammar(parsed, serverVersionNum);
      result.problems.push(...problems);
      const refused = new Set(problems.map((p) => p.file));
      for (const script of parsed) {
        const entry = cache.get(script.body);
        if (entry && !refused.has(script.path)) cache.set(script.body, { ...entry, olderGrammars: [...entry.olderGrammars, major] });
      }
    }
  }
  cache.save();
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
  | { ok: true; steps: Step[]; statements: Map<Script, ScriptStatement[]> }
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

/** The steps of a plan checked earlier, by id and direction, for adoptParsed. */
export function stepsByKey(steps: readonly Step[]): Map<string, Step> {
  return new Map(steps.map((step) => [`${step.direction}:${step.id}`, step]));
}

/** Reuses the statements of the same step (same id, direction and body) from a plan checked earlier (stepsByKey). */
export function adoptParsed(step: Step, earlier: ReadonlyMap<string, Step>, statements: Map<Script, ScriptStatement[]>): boolean {
  const twin = earlier.get(`${step.direction}:${step.id}`);
  const parsed = twin && twin.script.body === step.script.body ? statements.get(twin.script) : undefined;
  if (!parsed) return false;
  statements.set(step.script, parsed);
  return true;
}
