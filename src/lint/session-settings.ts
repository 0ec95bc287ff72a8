/**
 * Whether a setting (lock_timeout, search_path) is in effect at a statement, with PostgreSQL's
 * scoping: `SET LOCAL` lasts until the end of the transaction it runs in (and, outside a
 * transaction block, does nothing at all), a plain `SET` lasts for the session unless the block it
 * ran in is rolled back. A transactional revision is one block from its first statement to its
 * last; in a `Transaction: off` revision only its own BEGIN ... COMMIT are blocks. Pure.
 */
export class SessionSetting {
  private session: boolean;
  private local: boolean | undefined;
  private sessionAtBlockStart: boolean;

  constructor(initial: boolean) {
    this.session = initial;
    this.sessionAtBlockStart = initial;
  }

  /** in effect for the next statement */
  get inEffect(): boolean {
    return this.local ?? this.session;
  }

  /** an explicit BEGIN (or the chained block a COMMIT AND CHAIN opens) */
  blockStarted(): void {
    this.sessionAtBlockStart = this.session;
    this.local = undefined;
  }

  /** COMMIT or ROLLBACK of the block; `committed` false for a ROLLBACK, which undoes its SETs too */
  blockEnded(committed: boolean): void {
    if (!committed) this.session = this.sessionAtBlockStart;
    this.local = undefined;
  }

  /** `SET [LOCAL] name ...` / `RESET name`, where `value` says whether it leaves the setting on */
  set(value: boolean, isLocal: boolean, inBlock: boolean): void {
    if (isLocal) {
      if (inBlock) this.local = value; // outside a block, SET LOCAL only warns and changes nothing
      return;
    }
    this.session = value;
    this.local = undefined;
  }
}
