import type { Database } from '../db/database.js';
import type { Step } from '../plan/plan.js';
import { listObjects, type ListedObject } from '../schema/introspect/object-list.js';

/**
 * strata dev's proof that down.sql undoes up.sql, on every re-apply: the objects after the revert
 * must be the objects from before the version being reverted was applied. What was there before an
 * apply is kept until the next save, so a re-apply reads the objects once (after its revert, inside
 * its transaction, each by name with a digest of its definition: see object-list.ts), not three times. The first re-apply after
 * dev starts has nothing to compare with. (strata check compares whole snapshots.)
 */
export class RevertCheck {
  /** the objects before the newest revision's applied version was applied */
  private before: { id: string; objects: ListedObject[] } | undefined;

  constructor(private readonly trackingSchema: string) {}

  /** Before one revision is applied as new (a folder added while dev watches): what its down.sql must give back. */
  async beforeApplying(db: Database, ids: readonly string[]): Promise<void> {
    this.before = ids.length === 1 ? { id: ids[0]!, objects: await listObjects(db, [this.trackingSchema]) } : undefined;
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
    let reverted: ListedObject[] | undefined;
    const before = this.before?.id === id ? this.before.objects : undefined;
    return {
      afterStep: async (done) => {
        if (done.direction === 'down' && done.id === id) reverted = await listObjects(db, [this.trackingSchema]);
      },
      finish: (isApplied) => {
        if (!isApplied) return [];
        // the objects before the version now applied: what the next save's revert must give back
        this.before = reverted ? { id, objects: reverted } : undefined;
        if (!before || !reverted) return [];
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
