import { describeDatabase, type StrataConfig } from '../config.js';
import { isEmbeddedAbsent, type OpenedDatabase } from '../db/open-database.js';
import { readApplied } from '../db/tracking.js';
import { problem, type Problem, type Unavailable } from '../errors.js';
import { loadRevisions } from '../revision/load-revisions.js';
import type { AppliedRevision } from '../plan/applied-revision.js';
import { databaseView, type DatabaseView } from '../plan/squashes.js';
import type { RevisionSet } from '../revision/build-revisions.js';
import { describeRevision, type RevisionDetails } from '../plan/describe-revision.js';
import { listHistory, type HistoryEntry } from '../plan/list-history.js';
import { computeStatus } from '../plan/revision-status.js';

/** The read-only commands that answer what Alembic users ask: current, show, history. */

export interface CurrentReport {
  ok: true;
  database: string;
  schema: string;
  /** the newest applied revision; null at base (nothing applied, or no tracking schema yet) */
  current: string | null;
  message: string | null;
  appliedAt: string | null;
  /** the newest revision on disk */
  head: string | null;
  /** revisions on disk not applied yet */
  pending: number;
  /** e.g. that the head on disk is ahead */
  notes: string[];
}

export type ShowReport =
  | ({ ok: true; database: string; schema: string } & RevisionDetails)
  | { ok: false; reason: 'invalid'; problems: Problem[] };

export interface HistoryReport {
  /** false when the files have problems (listed in `problems`); the chain read so far is still listed */
  ok: boolean;
  database: string;
  schema: string;
  /** false when the database could not be read: states are null, `notes` says why */
  isAppliedKnown: boolean;
  current: string | null;
  head: string | null;
  /** newest first */
  revisions: HistoryEntry[];
  notes: string[];
  problems: Problem[];
}

export type WithDatabase = <T>(fn: (opened: OpenedDatabase) => Promise<T>, options?: { embeddedWaitMs?: number }) => Promise<T | Unavailable>;

/** The tracking rows; without opening (or creating) the embedded database when it does not exist yet. */
async function readTracking(config: StrataConfig, set: RevisionSet, withDatabase: WithDatabase, options?: { embeddedWaitMs?: number }): Promise<{ ok: true; description: string; view: DatabaseView } | Unavailable> {
  if (isEmbeddedAbsent(config)) return { ok: true, description: describeDatabase(config), view: databaseView(set, []) };
  return withDatabase(async ({ db, description }) => ({ ok: true as const, description, view: databaseView(set, (await readApplied(db, config.schema)).applied) }), options);
}

/** What the view says beside the revisions: a squashed revision counted as applied before it is recorded, a range this database cannot finish. */
function squashNotes(view: DatabaseView): string[] {
  return [
    ...view.unrecorded.map((squash) => `${squash.id} counts as applied: this database applied the ${squash.replaces.length} revisions it replaces (the next strata up records it so)`),
    ...view.problems.map((p) => `${p.message}: ${p.hint}`),
  ];
}

export async function readCurrent(config: StrataConfig, withDatabase: WithDatabase): Promise<CurrentReport | Unavailable> {
  const set = loadRevisions(config);
  const read = await readTracking(config, set, withDatabase);
  if (!read.ok) return read;
  const { description, view } = read;
  const { applied, revisions } = view;
  const row = applied.at(-1);
  const head = set.revisions.at(-1)?.id ?? null;
  const appliedIds = new Set(applied.map((a) => a.id));
  const pending = revisions.filter((r) => !appliedIds.has(r.id)).length;
  const notes: string[] = squashNotes(view);
  if (row && !revisions.some((r) => r.id === row.id)) {
    notes.push(`${row.id} is applied but its folder is missing on disk (a branch switch?): strata show ${row.id} says what is known of it`);
  }
  const revisionsAre = (n: number) => `${n} ${n === 1 ? 'revision is' : 'revisions are'}`;
  if (head !== null && (row === undefined || head > row.id)) {
    notes.push(`the head on disk, ${head}, is ahead: ${revisionsAre(pending)} pending (strata up applies ${pending === 1 ? 'it' : 'them'})`);
  } else if (pending > 0) {
    notes.push(`${revisionsAre(pending)} pending but older than ${row!.id}: strata status shows them`);
  }
  if (set.problems.length > 0) {
    notes.push(`the migrations folder has ${set.problems.length} ${set.problems.length === 1 ? 'problem' : 'problems'}: strata status lists them`);
  }
  return {
    ok: true, database: description, schema: config.schema,
    current: row?.id ?? null, message: row?.message ?? null, appliedAt: row?.appliedAt.toISOString() ?? null,
    head, pending, notes,
  };
}

export async function showRevision(config: StrataConfig, target: string, withDatabase: WithDatabase): Promise<ShowReport | Unavailable> {
  const set = loadRevisions(config);
  const read = await readTracking(config, set, withDatabase);
  if (!read.ok) return read;
  const { description, view } = read;
  // a replaced revision is shown from its folder, when it is still there
  const replaced = [...(set.replaced?.values() ?? [])].flat().filter((r) => !view.revisions.includes(r));
  const described = describeRevision([...view.revisions, ...replaced].sort((a, b) => (a.id < b.id ? -1 : 1)), view.applied, target);
  if (!described.ok) {
    // a replaced revision whose folder is gone is still known by name, from its squash's Replaces line
    const squash = described.problem.code === 'TARGET_UNKNOWN' ? view.revisions.find((r) => r.replaces.includes(target.trim())) : undefined;
    if (squash === undefined) return { ok: false, reason: 'invalid', problems: [described.problem] };
    return { ok: false, reason: 'invalid', problems: [problem('TARGET_UNKNOWN', {
      file: squash.up.path, revision: squash.id,
      message: `${target.trim()} was squashed into ${squash.id}, and its folder is gone`,
      hint: `strata show ${squash.id} shows the revision that replaces it`,
    })] };
  }
  // shown from its folder while the database follows the squashed chain: its state is the squash's
  const squash = replaced.some((r) => r.id === described.revision.id) ? view.revisions.find((r) => r.replaces.includes(described.revision.id)) : undefined;
  if (squash === undefined) return { ok: true, database: description, schema: config.schema, ...described.revision };
  const squashState = computeStatus(view.revisions, view.applied).find((s) => s.id === squash.id)!.state;
  return {
    ok: true, database: description, schema: config.schema,
    ...described.revision, state: squashState === 'pending' ? 'pending' : 'applied', replacedBy: squash.id, isCurrent: false, applied: null,
  };
}

/** Reading the applied state must not keep `history` waiting behind `strata dev` on the embedded database. */
const HISTORY_EMBEDDED_WAIT_MS = 2000;

export async function readHistory(config: StrataConfig, withDatabase: WithDatabase): Promise<HistoryReport | Unavailable> {
  const set = loadRevisions(config);
  let applied: AppliedRevision[] | undefined;
  let revisions = set.revisions;
  let description = describeDatabase(config);
  const notes: string[] = [];
  const read = await readTracking(config, set, withDatabase, { embeddedWaitMs: Math.min(config.lockTimeoutMs, HISTORY_EMBEDDED_WAIT_MS) });
  if (read.ok) {
    ({ description } = read);
    ({ applied, revisions } = read.view);
    notes.push(...squashNotes(read.view));
  } else {
    // the chain on disk is worth listing without the database; other refusals are the database's to explain
    const first = read.problems[0];
    // (strata dev holding the embedded database is the case HISTORY_EMBEDDED_WAIT_MS is for, refused at once)
    if (first?.code !== 'CONNECTION_FAILED' && first?.code !== 'LOCK_TIMEOUT' && first?.code !== 'EMBEDDED_IN_USE') return read;
    notes.push(`applied state unknown (${first.message}): the chain is listed from the files alone`);
  }
  return {
    ok: set.problems.length === 0,
    database: description,
    schema: config.schema,
    isAppliedKnown: applied !== undefined,
    current: applied?.at(-1)?.id ?? null,
    head: set.revisions.at(-1)?.id ?? null,
    revisions: listHistory(revisions, applied),
    notes,
    problems: set.problems,
  };
}
