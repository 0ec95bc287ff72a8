import type { SchemaObject, Snapshot } from '../schema/model/snapshot.js';

/**
 * The objects that differ between two snapshots, by identity.
 * TODO: switch to diffSnapshots / formatChanges (schema/model/diff.ts) when it lands on main;
 * this is the least check and round trip need meanwhile: which objects, not how they differ.
 */
export interface SnapshotDifference {
  /** in `after`, not in `before` */
  added: SchemaObject[];
  /** in `before`, not in `after` */
  removed: SchemaObject[];
  /** in both, with other attributes (the keys that differ) */
  changed: { object: SchemaObject; keys: string[] }[];
}

export function compareSnapshots(before: Snapshot, after: Snapshot): SnapshotDifference {
  const old = new Map(before.objects.map((o) => [o.identity, o]));
  const now = new Map(after.objects.map((o) => [o.identity, o]));
  const changed: SnapshotDifference['changed'] = [];
  for (const [identity, object] of now) {
    const was = old.get(identity);
    if (!was) continue;
    const keys = [...new Set([...Object.keys(was.attributes), ...Object.keys(object.attributes)])].sort()
      .filter((key) => JSON.stringify(was.attributes[key]) !== JSON.stringify(object.attributes[key]));
    if (keys.length > 0) changed.push({ object, keys });
  }
  return {
    added: after.objects.filter((o) => !old.has(o.identity)),
    removed: before.objects.filter((o) => !now.has(o.identity)),
    changed,
  };
}

export function isSame(difference: SnapshotDifference): boolean {
  return difference.added.length + difference.removed.length + difference.changed.length === 0;
}
