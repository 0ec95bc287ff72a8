import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { StrataConfig } from '../config.js';
import { withShadow } from '../db/shadow.js';
import { problem, type Problem, type Unavailable } from '../errors.js';
import { planners } from '../plan/planners.js';
import type { RevisionSet } from '../revision/build-revisions.js';
import { renderSchema } from '../schema/model/render.js';
import type { Snapshot, UnmodelledObject } from '../schema/model/snapshot.js';
import { migrateShadow, snapshotShadow } from './migrate-shadow.js';
import type { ProofEvents } from './proof-events.js';

export type DumpReport =
  | { ok: true; file: string; head: string | null; objects: number; unmodelled: UnmodelledObject[]; shadow: string }
  /** nothing ran: the revisions have problems */
  | { ok: false; reason: 'invalid'; problems: Problem[] }
  /** a revision failed on the shadow, or schema.sql could not be written */
  | { ok: false; reason: 'failed'; problems: Problem[] }
  | { ok: false; reason: 'interrupted' }
  | Unavailable;

export const SCHEMA_FILE = 'schema.sql';

/**
 * strata dump: every revision applied to a shadow database with the run pipeline, the result read
 * as a snapshot and written as schema.sql, with the head revision in its header.
 */
export async function dumpSchema(config: StrataConfig, revisions: RevisionSet, events: ProofEvents, signal?: AbortSignal): Promise<DumpReport> {
  if (revisions.problems.length > 0) return { ok: false, reason: 'invalid', problems: revisions.problems };
  const head = revisions.revisions.at(-1)?.id ?? null;
  const built = await headSnapshot(config, revisions, events, signal);
  if (!built.ok) return built;
  const text = renderSchema(built.snapshot, { head });
  try {
    writeFileSync(path.join(config.cwd, SCHEMA_FILE), text);
  } catch (error) {
    return { ok: false, reason: 'failed', problems: [problem('FILE_WRITE_FAILED', { file: SCHEMA_FILE, message: `cannot write ${SCHEMA_FILE}: ${(error as Error).message}`, hint: 'give this user write access to the project folder' })] };
  }
  return { ok: true, file: SCHEMA_FILE, head, objects: built.snapshot.objects.length, unmodelled: built.snapshot.unmodelled, shadow: built.shadow };
}

export type HeadSnapshot =
  | { ok: true; snapshot: Snapshot; shadow: string }
  | { ok: false; reason: 'failed'; problems: Problem[] }
  | { ok: false; reason: 'interrupted' }
  | Unavailable;

/** A new shadow migrated to head, read as a snapshot; the shadow is gone after. */
export function headSnapshot(config: StrataConfig, revisions: RevisionSet, events: ProofEvents, signal?: AbortSignal): Promise<HeadSnapshot> {
  return snapshotAt(config, revisions, 'head', events, signal);
}

/** A new shadow migrated up to `target` (a revision id, head; 'base': nothing applied), read as a snapshot. */
export async function snapshotAt(config: StrataConfig, revisions: RevisionSet, target: string, events: ProofEvents, signal?: AbortSignal): Promise<HeadSnapshot> {
  return withShadow(config, { onNote: events.note }, async (shadow): Promise<HeadSnapshot> => {
    events.shadow(shadow.description);
    const migrated = target === 'base' ? { ok: true as const } : await migrateShadow(shadow.db, config, revisions, planners.up(target, {}), signal);
    if (!migrated.ok) return migrated;
    return { ok: true, snapshot: await snapshotShadow(shadow.db, config), shadow: shadow.description };
  });
}
