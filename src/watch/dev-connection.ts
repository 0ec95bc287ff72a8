import { displayPath, type StrataConfig } from '../config.js';
import type { Database } from '../db/database.js';
import { isEmbeddedAbsent, openDatabase, type OpenedDatabase } from '../db/open-database.js';
import type { Unavailable } from '../errors.js';

/**
 * The one database connection of a `strata dev` session. A run that finds it broken (a lost
 * connection, a failed bookkeeping query) marks it so, and the next run opens a new one.
 */
export class DevConnection {
  /** the server process of the connection, which a stop cancels (see interruptRun) */
  backendPid = 0;
  private isBroken = false;

  private constructor(
    private readonly config: StrataConfig,
    private readonly onNote: (message: string) => void,
    private opened: OpenedDatabase | undefined,
  ) {}

  /** dev cannot start without a database: unavailable, as openDatabase says it */
  static async open(config: StrataConfig, onNote: (message: string) => void): Promise<DevConnection | Unavailable> {
    const open = await openDatabase(config, DevConnection.options(onNote));
    return open.ok ? new DevConnection(config, onNote, open.opened) : open;
  }

  // the line while the embedded database is created; the lock file tells other commands that dev holds it
  private static options(onNote: (message: string) => void) {
    return { command: 'dev', onNote };
  }

  /** The database as last opened (undefined after a reconnect that failed). */
  get current(): OpenedDatabase | undefined {
    return this.opened;
  }

  async readBackendPid(): Promise<void> {
    if (this.opened) this.backendPid = await this.opened.db.backendPid();
  }

  /** The open connection, or a new one when the last run broke it; throws when the database cannot be reached. */
  async database(): Promise<Database> {
    if (this.opened && !this.isBroken && this.isEmbeddedGone()) {
      // the folder deleted under the open database (rm -rf .strata to start afresh): the instance
      // still open can only fail on files that are gone, so a new database is made in its place
      this.onNote(`the embedded database folder ${displayPath(this.config.cwd, this.config.embeddedDataDir)} was deleted while dev ran: a new database is made, and the revisions applied to it`);
      this.isBroken = true;
    }
    if (this.opened && !this.isBroken) return this.opened.db;
    if (this.opened) await this.opened.close().catch(() => {});
    this.opened = undefined;
    const open = await openDatabase(this.config, DevConnection.options(this.onNote));
    // said as this run's error; the next save tries again
    if (!open.ok) throw new Error(open.problems.map((p) => p.message).join('; '));
    this.opened = open.opened;
    this.backendPid = await open.opened.db.backendPid();
    this.isBroken = false;
    return open.opened.db;
  }

  private isEmbeddedGone(): boolean {
    return this.opened?.db.isEmbedded === true && isEmbeddedAbsent(this.config);
  }

  markBroken(): void {
    this.isBroken = true;
  }

  async close(): Promise<void> {
    await this.opened?.close();
  }
}
