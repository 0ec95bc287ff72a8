import type { Database } from '../db/database.js';
import type { Step } from '../plan/plan.js';
import { CatalogStamper, type CatalogStamp } from '../schema/introspect/catalog-stamp.js';
import { listObjects, type ListedObject } from '../schema/introspect/object-list.js';

/** The objects at one moment, and a stamp of the catalogs then (when this role can read them all). */
interface Reading {
  objects: ListedObject[];
  stamp: CatalogStamp | undefined;
}

/**
 * strata dev's proof that down.sql undoes up.sql, on every re-apply: the objects after the revert
 * must be the objects from before the version being reverted was applied. What was there before an
 * apply is kept until the next save, so a re-apply reads the objects once (after its revert, inside
 * its transaction, each by name with a digest of its definition: see object-list.ts), not three times. The first re-apply after
 * dev starts has nothing to compare with. (strata check compares whole snapshots.)
 *
 * Listing every object scales with the whole schema, not with the revision. So each reading also
 * takes a catalog stamp (catalog-stamp.ts): when the stamp after a revert proves the catalogs are
 * row for row those of the reading kept, the objects are the ones kept and are not listed again.
 * A revert that did not give back exactly those rows (down.sql left something, or dropped and
 * re-created it) is listed and compared object by object, as it always was.
 */
export class RevertCheck {
  /** the objects before the newest revision's applied version was applied */
  private before: ({ id: string } & Reading) | undefined;
  private readonly stamper = new CatalogStamper();

  constructor(private readonly trackingSchema: string) {}

  /** The objects now: those of `kept` when the catalogs provably did not change since it was read. */
  private async read(db: Database, kept: Reading | undefined): Promise<Reading> {
    const stamped = await this.stamper.stamp(db, kept?.stamp);
    if (kept && stamped?.isUnchanged) return { objects: kept.objects, stamp: stamped.stamp };
    return { objects: await listObjects(db, [this.trackingSchema]), stamp: stamped?.stamp };
  }

  /** Before one revision is applied as new (a folder added while dev watches): what its down.sql must give back. */
  async beforeApplying(db: Database, ids: readonly string[]): Promise<void> {
    this.before = ids.length === 1 ? { id: ids[0]!, ...await this.read(db, undefined) } : undefined;
  }

  /** Forget what was kept (a revision reverted for good). */
  forget(): void {
    this.before = undefined;
  }

  /**
   * The hook for the re-apply of `id`: reads the objects after the revert, inside the run's
   * transaction. `finish` then says what the revert did not give back.
   */
  hookFor(db: Database, id: string): { afterStep: (done: Step, next: Step) => Promise<void>; finish(isApplied: boolean): string[] } {
    let reading: Reading | undefined;
    const kept = this.before?.id === id ? this.before : undefined;
    const before = kept?.objects;
    return {
      afterStep: async (done) => {
        if (done.direction === 'down' && done.id === id) reading = await this.read(db, kept);
      },
      finish: (isApplied) => {
        if (!isApplied) return [];
        // the objects before the version now applied: what the next save's revert must give back
        this.before = reading ? { id, ...reading } : undefined;
        const reverted = reading?.objects;
        if (!before || !reverted || reverted === before) return [];
        const had = new Map(before.map((o) => [o.name, o.state]));
        const has = new Map(reverted.map((o) => [o.name, o.state]));
        // a table left behind or missing is named, not each of its columns as well
        const whole = (list: ListedObject[]) => list.filter((o) => o.parent === undefined || !list.some((p) => p.name === o.parent));
        return [
          ...whole(reverted.filter((o) => !had.has(o.name))).map((o) => `${o.name}: left behind`),
          ...reverted.filter((o) => had.has(o.name) && had.get(o.name) !== o.state).map((o) => `${o.name}: left changed (not as it was before up.sql)`),
          ...whole(before.filter((o) => !has.has(o.name))).map((o) => `${o.name}: missing (dropped, not re-created)`),
        ];
      },
    };
  }
}
