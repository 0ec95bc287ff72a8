import type { StrataConfig } from '../config.js';
import { problem, type Problem, type Unavailable } from '../errors.js';
import { checkSteps } from '../executor/check-steps.js';
import type { LintFinding } from '../lint/lint-files.js';
import { countFindings, lintParsed, type LintCounts } from '../lint/lint-revisions.js';
import type { Script, Step } from '../plan/plan.js';
import type { LockTrace } from './lock-trace.js';
import { loadSqlParser } from '../sql/parser.js';
import { splitStatements, type ScriptStatement } from '../sql/split-statements.js';
import { planners } from '../plan/planners.js';
import type { RevisionSet } from '../revision/build-revisions.js';
import { toLf } from '../revision/checksums.js';
import { renderSchema } from '../schema/model/render.js';
import type { Snapshot, UnmodelledObject } from '../schema/model/snapshot.js';
import { describeFields, diffSnapshots, reportedChanges, type ReportedChange } from '../schema/model/diff.js';
import { changeProblems } from './change-problems.js';
import { headSnapshot, SCHEMA_FILE } from './dump.js';
import { differentlyMade, loadSchemaFile, readSchemaFile, schemaFileHead } from './schema-file.js';
import type { ProofEvents } from './proof-events.js';
import { resolveRevisionRange } from './revision-range.js';
import type { RoundTripEntry } from './round-trip.js';
import { roundTripOnShadows } from './round-trip-shadows.js';
import { liveDrift } from './drift.js';

export interface CheckOptions {
  /** `<from>..<to>`: round-trip only these revisions (ids or unique prefixes; an end may be left out) */
  revisions?: string;
  /** also compare the database DATABASE_URL names with what its applied revisions make (drift) */
  live?: boolean;
  /** also trace the locks each revision takes on a shadow and compare them with lint's predictions (lock-trace.ts) */
  locks?: boolean;
  signal?: AbortSignal;
}

export interface CheckResult {
  /** true when nothing failed; `warnings` do not fail a check */
  ok: boolean;
  /** the shadow databases used, one line each */
  shadows: string[];
  roundTrips: RoundTripEntry[];
  /** ahead: schema.sql names the migrations' head but declares other objects (edited by hand: strata new --from-schema); stale: written before the newest revisions (strata dump) */
  schemaSql: 'current' | 'ahead' | 'stale' | 'missing' | 'not checked';
  /** with --live: 'none' or 'found' (listed in problems); 'not checked' without --live */
  drift: 'none' | 'found' | 'not checked';
  /** what differs, object by object, in review order: schema.sql against the migrations, and (--live) the database against its revisions */
  changes: { schemaSql: ReportedChange[]; live: ReportedChange[] };
  /** kinds present that the snapshot does not model: neither dumped nor compared */
  unmodelled: UnmodelledObject[];
  problems: Problem[];
  /** reported, not failing: Irreversible revisions, unmodelled objects, lint warnings (counted) */
  warnings: Problem[];
  /** strata lint over every revision (up.sql and down.sql): its error findings are in `problems` too, and fail the check */
  lint: { findings: LintFinding[]; counts: LintCounts } | 'not checked';
  /** with --locks: the lock trace (lock-trace.ts); its mismatches with lint are warnings */
  locks: LockTrace | 'not checked';
}

export type CheckReport =
  | CheckResult
  /** a bad --revisions */
  | { ok: false; reason: 'invalid'; problems: Problem[] }
  | { ok: false; reason: 'interrupted' }
  | Unavailable;

/**
 * strata check: (a) every revision file valid and all its SQL parsed (up and down); (b) on a
 * shadow (two at once on a server, round-trip-shadows.ts), every revision's down.sql undoes its
 * up.sql exactly (round-trip.ts); (c) schema.sql is what strata dump would write. Every problem is
 * listed; the other shadows are made one after the other, never held at once.
 */
export async function checkProject(config: StrataConfig, set: RevisionSet, events: ProofEvents, options: CheckOptions = {}): Promise<CheckReport> {
  const range = resolveRevisionRange(set.revisions, options.revisions);
  if (!range.ok) return { ok: false, reason: 'invalid', problems: [range.problem] };
  const result: CheckResult = { ok: false, shadows: [], roundTrips: [], schemaSql: 'not checked', drift: 'not checked', changes: { schemaSql: [], live: [] }, unmodelled: [], problems: [...set.problems], warnings: [], lint: 'not checked', locks: 'not checked' };
  // lint's error findings fail the check, but after the proof has run: they are listed with what it found
  let lintErrors: Problem[] = [];
  let parsed: { steps: Step[]; statements: ReadonlyMap<Script, readonly ScriptStatement[]> } | undefined;
  if (result.problems.length === 0) {
    const plan = planners.up('head', {})(set, []);
    if (!plan.ok) result.problems.push(...plan.problems);
    else {
      const checked = await checkSteps(plan.steps, {});
      result.problems.push(...checked.problems);
      if (checked.problems.length === 0) lintErrors = await addLint(result, set, checked.statements);
      parsed = { steps: plan.steps, statements: checked.statements };
    }
  }
  if (result.problems.length > 0) return result;
  const { signal } = options;
  const onShadow = (description: string) => {
    result.shadows.push(description);
    events.shadow(description);
  };

  let head: Snapshot | undefined;
  if (set.revisions.length > 0) {
    const tripped = await roundTripOnShadows(config, set, range, { ...events, shadow: onShadow }, signal);
    if (!tripped.ok) return tripped;
    result.roundTrips = tripped.entries;
    for (const p of tripped.problems) (p.code === 'ROUND_TRIP_SKIPPED' ? result.warnings : result.problems).push(p);
    head = tripped.head;
  }
  if (!head && set.revisions.length > 0) {
    // the round trip stopped early: a shadow of its own, migrated straight to head
    const built = await headSnapshot(config, set, { ...events, shadow: onShadow }, signal);
    if (!built.ok) {
      if (built.reason !== 'failed') return built;
      // the same revision failing the same way in both shadows is one problem
      const seen = new Set(result.problems.map((q) => JSON.stringify(q)));
      for (const p of built.problems) if (!seen.has(JSON.stringify(p))) result.problems.push(p);
    } else head = built.snapshot;
  }
  // the shadow's snapshot at head, when one could be taken (--live reuses it)
  const shadowAtHead = head;
  head ??= { objects: [], unmodelled: [] };
  if (set.revisions.length === 0 || result.problems.every((p) => p.code !== 'SHADOW_MIGRATION_FAILED')) {
    const compared = await compareSchemaFile(config, head, set.revisions.at(-1)?.id ?? null, { ...events, shadow: onShadow });
    if ('reason' in compared) return compared;
    result.schemaSql = compared.state;
    result.changes.schemaSql = compared.changes ?? [];
    result.problems.push(...compared.problems);
  }
  if (options.live) {
    const drifted = await liveDrift(config, set, { ...events, shadow: onShadow }, signal, shadowAtHead);
    if (!drifted.ok) {
      if (drifted.reason !== 'failed') return drifted;
      result.problems.push(...drifted.problems);
    } else {
      result.drift = drifted.problems.length > 0 ? 'found' : 'none';
      result.changes.live = drifted.changes;
      result.problems.push(...drifted.problems);
    }
  }
  if (options.locks && parsed && result.problems.every((p) => p.code !== 'SHADOW_MIGRATION_FAILED')) {
    const { traceLocks } = await import('./lock-trace.js');
    // the checks keep no syntax trees (parse-cache.ts); the predictions need them: one parse here
    await loadSqlParser();
    const statementsOf = (script: Script) => {
      const split = parsed!.statements.has(script) ? splitStatements(script.body) : undefined;
      return split?.ok ? split.statements : [];
    };
    const traced = await traceLocks(config, parsed.steps, statementsOf, { ...events, shadow: onShadow });
    if (!traced.ok && traced.reason !== 'failed') return traced;
    if (!traced.ok) result.problems.push(...traced.problems);
    else {
      result.locks = traced.trace;
      for (const revision of traced.trace.revisions) {
        for (const lock of revision.locks.filter((l) => l.verdict === 'wrong' || l.verdict === 'unpredicted')) {
          result.warnings.push(problem('LOCK_TRACE_MISMATCH', {
            file: revision.file, line: lock.line, revision: revision.id,
            message: `${lock.label} on ${lock.relation}: ${lock.why}`,
            hint: 'the lock trace shows what PostgreSQL did; lint\'s prediction (lock-levels.ts) is wrong here: please report it',
          }));
        }
      }
    }
  }
  result.unmodelled = head.unmodelled;
  const secrets = head.unmodelled.filter((u) => u.kind === 'secret option');
  const unmodelled = head.unmodelled.filter((u) => u.kind !== 'secret option');
  if (unmodelled.length > 0) result.warnings.push(unmodelledProblem(unmodelled, 'check cannot compare them'));
  if (secrets.length > 0) {
    result.warnings.push(problem('UNMODELLED_OBJECTS', {
      message: `${secrets.length} secret ${secrets.length === 1 ? 'option is' : 'options are'} not in schema.sql, as strata never writes a secret into a file: ${secrets.map((u) => u.identity).join(', ')}`,
      hint: 'a database made from schema.sql lacks them: set them by hand in a revision or outside migrations',
    }));
  }
  result.problems.push(...lintErrors);
  result.ok = result.problems.length === 0;
  return result;
}

/** The lint section: the statements the checks parsed, matched to each revision's files by path (parsed once more for the rules' syntax trees). */
async function addLint(result: CheckResult, set: RevisionSet, statements: ReadonlyMap<Script, readonly ScriptStatement[]>): Promise<Problem[]> {
  const byPath = new Map([...statements.keys()].map((script) => [script.path, script]));
  const linted = await lintParsed(set.revisions.map((revision) => ({ revision, up: byPath.get(revision.up.path), down: byPath.get(revision.down.path) })), statements);
  result.problems.push(...linted.problems);
  result.lint = { findings: linted.findings, counts: countFindings(linted) };
  const { warnings } = result.lint.counts;
  if (warnings > 0) result.warnings.push(problem('LINT_FINDING', { message: `lint: ${warnings} ${warnings === 1 ? 'warning' : 'warnings'} (strata lint lists them)`, hint: 'strata lint shows each with its fix' }));
  return linted.findings.filter((x) => x.severity === 'error')
    .map((f) => problem('LINT_FINDING', { file: f.file, line: f.line, column: f.column, revision: f.revision, message: `${f.rule}: ${f.message}`, hint: f.hint }));
}

/**
 * schema.sql against what dump would write from `head`. When the texts differ, schema.sql is
 * loaded into a shadow of its own and read back, so the report names the objects that differ.
 * Which fix applies depends on the head schema.sql's header names: the migrations' own head (or
 * none: a file written by hand) with other objects means schema.sql was edited ahead of them, the
 * declarative workflow (strata new --from-schema writes the revision); an older head means
 * revisions came after the last dump (strata dump writes it again).
 */
async function compareSchemaFile(config: StrataConfig, head: Snapshot, headId: string | null, events: ProofEvents & { shadow: (description: string) => void }):
  Promise<{ state: CheckResult['schemaSql']; problems: Problem[]; changes?: ReportedChange[] } | Unavailable> {
  const read = readSchemaFile(config);
  if (!read.ok) return { state: read.problem.code === 'SCHEMA_SQL_MISSING' ? 'missing' : 'stale', problems: [read.problem] };
  const written = read.text;
  const rendered = renderSchema(head, { head: headId });
  // a checkout with core.autocrlf makes schema.sql CRLF, and the function bodies of CRLF migrations too: the same text
  if (written === rendered || toLf(written) === toLf(rendered)) return { state: 'current', problems: [] };
  const stale = (message: string, at: Partial<Problem> = {}) => problem('SCHEMA_SQL_STALE', { file: SCHEMA_FILE, ...at, message, hint: 'run strata dump to write it again from the migrations' });
  const loaded = await loadSchemaFile(config, written, events);
  if (!loaded.ok && loaded.reason !== 'not loaded') return loaded;
  if (!loaded.ok) {
    const { message, code, ...at } = loaded.error;
    return { state: 'stale', problems: [stale(`${SCHEMA_FILE} is not what the migrations produce, and it does not load: ${message} (${code})`, at)] };
  }
  const difference = diffSnapshots(head, loaded.snapshot);
  const named = schemaFileHead(written);
  const otherwise = differentlyMade(head, loaded.snapshot);
  if ((difference.length > 0 || otherwise.length > 0) && (!named.named || named.head === headId)) {
    const ahead = (message: string) => problem('SCHEMA_SQL_AHEAD', {
      file: SCHEMA_FILE, message,
      hint: `${SCHEMA_FILE} was edited ahead of the migrations: strata diff shows the SQL of a revision that makes the change, strata new "<message>" --from-schema writes it, proven (strata dump discards the edits)`,
    });
    const problems = changeProblems(difference, {
      added: (o) => ahead(`${SCHEMA_FILE} declares ${o.identity}, which no revision makes`),
      removed: (o) => ahead(`${SCHEMA_FILE} no longer declares ${o.identity}, which the migrations make`),
      changed: (o, fields) => ahead(`${SCHEMA_FILE} declares ${o.identity} otherwise than the migrations make it (${describeFields(fields)})`),
    });
    for (const { identity, detail } of otherwise) problems.push(ahead(`${SCHEMA_FILE} declares ${identity} otherwise than the migrations make it (${detail})`));
    return { state: 'ahead', problems, changes: reportedChanges(difference) };
  }
  const problems = changeProblems(difference, {
    added: (o) => stale(`${SCHEMA_FILE} has ${o.identity}, which the migrations do not make`),
    removed: (o) => stale(`${SCHEMA_FILE} lacks ${o.identity}, which the migrations make`),
    changed: (o, fields) => stale(`${SCHEMA_FILE} has ${o.identity} otherwise than the migrations make it (${describeFields(fields)})`),
  });
  if (problems.length === 0) {
    const why = named.named && named.head !== headId ? `it names head ${named.head ?? 'base'}, the migrations' head is ${headId ?? 'base'}` : 'the same objects, written differently';
    problems.push(stale(`${SCHEMA_FILE} differs from what strata dump writes (${why})`));
  }
  return { state: 'stale', problems, changes: reportedChanges(difference) };
}

export function unmodelledProblem(unmodelled: readonly UnmodelledObject[], consequence: string): Problem {
  const kinds = [...new Set(unmodelled.map((u) => u.kind))];
  return problem('UNMODELLED_OBJECTS', {
    message: `${unmodelled.length} ${unmodelled.length === 1 ? 'object' : 'objects'} of ${kinds.length === 1 ? 'a kind' : 'kinds'} strata does not model (${kinds.join(', ')}): ${unmodelled.map((u) => u.identity).join(', ')}; ${consequence}`,
    hint: 'strata names them rather than pass over them; keep their SQL in the revisions',
  });
}
