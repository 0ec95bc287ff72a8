import type { StrataConfig } from '../config.js';
import { shadowsMayRunAtOnce, withShadow, type Shadow } from '../db/shadow.js';
import { problem, type Problem, type Unavailable } from '../errors.js';
import { planners } from '../plan/planners.js';
import { SCHEMA_FILE } from '../proof/dump.js';
import { migrateShadow, snapshotShadow } from '../proof/migrate-shadow.js';
import { shadowsInOneLine, type ProofEvents } from '../proof/proof-events.js';
import { readSchemaFile, schemaFileHead, startSchemaFileLoad, type LoadedSchemaFile } from '../proof/schema-file.js';
import type { RevisionSet } from '../revision/build-revisions.js';
import { loadSqlParser } from '../sql/parser.js';
import { splitStatements } from '../sql/split-statements.js';
import { lineColumnAt, renderCodeFrame } from '../text/source-position.js';
import { diffSnapshots, type SchemaChange } from '../schema/model/diff.js';
import type { Snapshot } from '../schema/model/snapshot.js';
import { planMigration, type MigrationPlan, type RenameHint } from './plan-migration.js';
import { SECRET_OPTION, secretOptionRefusals } from './secret-options.js';
import { parseRenameFlags, resolveRenames } from './resolve-renames.js';
import { findSchemaHints } from './schema-hints.js';

/**
 * What strata diff and strata new --from-schema start from: schema.sql (desired) loaded into a
 * shadow of its own and read back; on another shadow, every revision applied (current): one after
 * the other, or at once when both are temporary databases on a server; the rename hints of schema.sql and of --rename resolved against
 * both; the generator's plan. The second shadow is handed on, still at current, for the proof.
 */

export interface DeclareOptions {
  /** `--rename <old name>=<new name>`, each as typed */
  renames?: readonly string[];
  /** false (--no-destructive): destructive changes are refused instead of written */
  destructive?: boolean;
  signal?: AbortSignal;
  /** the generator; another one can be handed in (a tool's, a test's) */
  generate?: typeof planMigration;
}

export interface Declared {
  current: Snapshot;
  desired: Snapshot;
  renames: RenameHint[];
  /** current -> desired, object by object; empty: nothing to do */
  changes: SchemaChange[];
  /** undefined when there is nothing to do */
  plan: MigrationPlan | undefined;
  /** schema.sql as read */
  text: string;
  shadows: string[];
}

export type DeclareFailure =
  /** found before any SQL ran: the revisions, schema.sql (missing, written at another head, not loading), a hint */
  | { ok: false; reason: 'invalid'; problems: Problem[] }
  /** a revision failed on the shadow */
  | { ok: false; reason: 'failed'; problems: Problem[] }
  | { ok: false; reason: 'interrupted' }
  | Unavailable;

export async function withDeclaredSchema<T>(config: StrataConfig, set: RevisionSet, events: ProofEvents, options: DeclareOptions,
  use: (declared: Declared, shadow: Shadow) => Promise<T>): Promise<T | DeclareFailure> {
  if (set.problems.length > 0) return { ok: false, reason: 'invalid', problems: set.problems };
  const read = readSchemaFile(config);
  if (!read.ok) return { ok: false, reason: 'invalid', problems: [read.problem] };
  const headId = set.revisions.at(-1)?.id ?? null;
  const named = schemaFileHead(read.text);
  if (named.named && named.head !== headId) {
    return {
      ok: false, reason: 'invalid',
      problems: [problem('SCHEMA_SQL_STALE', {
        file: SCHEMA_FILE,
        message: `${SCHEMA_FILE} was written at ${named.head ?? 'base'}, but the migrations' head is ${headId ?? 'base'}: a revision made from it would undo the revisions after ${named.head ?? 'base'}`,
        hint: `bring ${SCHEMA_FILE} up to the head first: keep your edits aside, run strata dump, make them again (strata check then names them), and run this again`,
      })],
    };
  }
  await loadSqlParser();
  const hints = findSchemaHints(read.text, SCHEMA_FILE);
  if (!hints.ok) return { ok: false, reason: 'invalid', problems: hints.problems };
  const data = dataStatementProblems(read.text);
  if (data.length > 0) return { ok: false, reason: 'invalid', problems: data };
  const flags = parseRenameFlags(options.renames ?? []);
  if (!flags.ok) return { ok: false, reason: 'invalid', problems: flags.problems };

  const shadows: string[] = [];
  const proofEvents: ProofEvents = { ...events, shadow: (description) => { shadows.push(description); events.shadow(description); } };
  // temporary databases on a server are made at once, as check's round trip does: the server loads
  // schema.sql and migrates the revisions in parallel (not on PGlite, whose instances would each hold
  // their memory, nor on the one SHADOW_DATABASE_URL); schema.sql's shadow is said first either way
  const isParallel = shadowsMayRunAtOnce(config);
  // at once, the two are said in one line; one after the other, each as it opens
  const say = isParallel ? shadowsInOneLine(proofEvents, 2) : (_k: number, description?: string) => { if (description !== undefined) proofEvents.shadow(description); };
  // in parallel, schema.sql's shadow is kept until the other one is done with, and the two are
  // dropped at once: dropped earlier, its DROP DATABASE would force a checkpoint that writes out
  // the other shadow's whole schema, which is dropped too, and its thousands of freed files would
  // slow the making of the other shadow's (a file system hands out inodes around those just freed)
  let release!: () => void;
  const released = new Promise<void>((resolve) => { release = resolve; });
  const load = startSchemaFileLoad(config, read.text, { ...proofEvents, shadow: (description) => say(0, description) }, isParallel ? released : undefined);
  const closed = load.closed.finally(() => say(0));
  // awaited at the end; if the other shadow's work throws first, its error is the one that counts
  closed.catch(() => {});
  // in parallel, the plan and the proof go on once schema.sql is read back;
  // one after the other, the second shadow waits until the first is gone
  const loading = (isParallel ? load.loaded : closed).then(desiredOf);
  if (!isParallel) {
    const desired = await loading;
    if ('reason' in desired) return desired;
    if (options.signal?.aborted) return { ok: false, reason: 'interrupted' };
  }
  const result = await withShadow(config, { onNote: events.note, onClose: release }, async (shadow): Promise<T | DeclareFailure> => {
    say(1, shadow.description);
    if (set.revisions.length > 0) {
      const migrated = await migrateShadow(shadow.db, config, set, planners.up('head', {}), options.signal);
      if (!migrated.ok) return migrated;
    }
    const current = await snapshotShadow(shadow.db, config);
    const desired = await loading;
    if ('reason' in desired) return desired;
    const resolved = resolveRenames(hints.hints, flags.flags, current, desired, SCHEMA_FILE);
    if (!resolved.ok) return { ok: false, reason: 'invalid', problems: resolved.problems };
    const changes = diffSnapshots(current, desired);
    const refused = unmodelledRefusal(current, desired);
    const plan = refused ?? (changes.length === 0 ? undefined : (options.generate ?? planMigration)(current, desired, { renames: resolved.renames, destructive: options.destructive !== false }));
    return use({ current, desired, renames: resolved.renames, changes, plan, text: read.text, shadows }, shadow);
  }).finally(() => { say(1); release(); });
  // schema.sql's shadow is gone before this returns, whatever became of the other
  await closed;
  return result;
}

/** what changes rows, not the schema: a snapshot has no rows, so no revision would ever carry them */
const DATA_STATEMENTS = new Set(['InsertStmt', 'UpdateStmt', 'DeleteStmt', 'MergeStmt', 'CopyStmt', 'TruncateStmt']);

/**
 * schema.sql declares a schema: an INSERT (UPDATE, DELETE, MERGE, COPY, TRUNCATE) in it would run
 * on the shadow and be lost without a word ("nothing to do"), so each is refused at its line.
 * (A file that does not parse is left to the load, which places the syntax error.)
 */
function dataStatementProblems(text: string): Problem[] {
  const split = splitStatements(text);
  if (!split.ok) return [];
  return split.statements.filter((s) => DATA_STATEMENTS.has(s.nodeType)).map((s) => {
    const at = lineColumnAt(text, s.start);
    return problem('SCHEMA_SQL_INVALID', {
      file: SCHEMA_FILE, ...at, codeFrame: renderCodeFrame(text, at.line, at.column),
      message: `${SCHEMA_FILE} holds ${/^[AEIOU]/.test(s.label) ? 'an' : 'a'} ${s.label}: it declares the schema only, and rows are neither compared nor written into a revision`,
      hint: `take it out of ${SCHEMA_FILE}, and write the change of rows in a revision by hand (strata new "<message>")`,
    });
  });
}

/** schema.sql's snapshot, or why it could not be had (a file that does not load is the user's to fix: invalid). */
function desiredOf(loaded: LoadedSchemaFile): Snapshot | DeclareFailure {
  if (loaded.ok) return loaded.snapshot;
  if (loaded.reason !== 'not loaded') return loaded;
  const { message, code, ...at } = loaded.error;
  return {
    ok: false, reason: 'invalid',
    problems: [problem('SCHEMA_SQL_INVALID', { file: SCHEMA_FILE, ...at, message: `${SCHEMA_FILE} does not load on an empty database: ${message} (${code})`, hint: `fix ${SCHEMA_FILE}: it is run as it is (psql -f ${SCHEMA_FILE} on an empty database does the same)` })],
  };
}

/** Objects of kinds strata does not model that schema.sql adds or drops: no generator can write them, so each is refused by name. */
function unmodelledRefusal(current: Snapshot, desired: Snapshot): MigrationPlan | undefined {
  const [was, now] = [current.unmodelled.filter((u) => u.kind !== SECRET_OPTION), desired.unmodelled.filter((u) => u.kind !== SECRET_OPTION)];
  const before = new Set(was.map((u) => u.identity));
  const after = new Set(now.map((u) => u.identity));
  const differ = [...now.filter((u) => !before.has(u.identity)), ...was.filter((u) => !after.has(u.identity))];
  const secrets = secretOptionRefusals(current, desired);
  if (differ.length === 0 && secrets.length === 0) return undefined;
  return {
    ok: false,
    refused: [...secrets, ...differ.map((u) => ({ identity: u.identity.startsWith(`${u.kind} `) ? u.identity : `${u.kind} ${u.identity}`, kind: u.kind, reason: `strata does not model ${u.kind}s, so it cannot ${after.has(u.identity) ? 'create' : 'drop'} one: write that in a revision by hand` }))],
  };
}
