import * as assert from 'uvu/assert';
import type { AppliedRevision } from '../../src/plan/applied-revision.js';
import { buildRevisions, type RevisionSet } from '../../src/revision/build-revisions.js';
import type { FileContent, MigrationTree, TreeEntry } from '../../src/revision/read-migration-tree.js';
import type { Revision } from '../../src/revision/revision.js';

/** In-memory migration folders for the pure parts: no file system, no database. */

const encoder = new TextEncoder();

export function bytes(text: string | Uint8Array): FileContent {
  return { kind: 'bytes', bytes: typeof text === 'string' ? encoder.encode(text) : text };
}

export const MISSING: FileContent = { kind: 'missing' };

/** A revision folder; `down` defaults to an empty down.sql. Pass a FileContent (e.g. MISSING) to model missing/unreadable files. */
export function folder(name: string, up: string | FileContent, down: string | FileContent = ''): TreeEntry {
  const files: Record<string, FileContent> = {};
  const content = (value: string | FileContent): FileContent => (typeof value === 'string' ? bytes(value) : value);
  files['up.sql'] = content(up);
  files['down.sql'] = content(down);
  return { name, kind: 'directory', files };
}

export function tree(...entries: TreeEntry[]): MigrationTree {
  return { entries: [...entries].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)) };
}

export function build(...entries: TreeEntry[]): RevisionSet {
  return buildRevisions(tree(...entries), 'migrations');
}

export interface RevisionSpec {
  id: string;
  parent: string;
  body?: string;
  down?: string;
  /** extra header lines for up.sql, e.g. '--! Tags: v1.0' */
  header?: string;
}

/** A valid history: fails the test if the folders have any problem. */
export function history(...specs: RevisionSpec[]): Revision[] {
  const set = build(...specs.map((s) => folder(s.id, `--! Parent: ${s.parent}\n${s.header ? `${s.header}\n` : ''}\n${s.body ?? `create table t_${s.id.slice(15)} (id int);\n`}`, s.down ?? `drop table t_${s.id.slice(15)};\n`)));
  assert.equal(set.problems, [], 'the history has no problems');
  return set.revisions;
}

/** The tracking row strata writes when it applies `revision`. */
export function appliedRow(revision: Revision, overrides: Partial<AppliedRevision> = {}): AppliedRevision {
  return {
    id: revision.id,
    parent: revision.parent,
    message: revision.message ?? null,
    tags: revision.tags,
    upChecksum: revision.up.checksum,
    downChecksum: revision.down.checksum,
    downText: revision.down.text,
    appliedAt: new Date('2026-11-20T10:00:00Z'),
    appliedBy: 'test@host',
    durationMs: 3,
    ...overrides,
  };
}
