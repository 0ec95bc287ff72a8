/** The fields of a PostgreSQL ErrorResponse that strata reports. */
export interface SqlErrorInfo {
  code: string;
  message: string;
  severity: string | undefined;
  detail: string | undefined;
  hint: string | undefined;
  /** 1-based, in characters, into the query text that was sent */
  position: number | undefined;
  /** 1-based, in characters, into `internalQuery` (e.g. a PL/pgSQL statement) */
  internalPosition: number | undefined;
  internalQuery: string | undefined;
  where: string | undefined;
  /** the table and the constraint an integrity error names, when the server says */
  table?: string | undefined;
  constraint?: string | undefined;
}

/** The transaction status the server reports in every ReadyForQuery: `I`, `T`, `E`. */
export type TransactionStatus = 'idle' | 'in-transaction' | 'failed';

/**
 * What the server said about a script, which is the truth about what ran: one CommandComplete
 * tag per statement that completed ("CREATE TABLE", "COMMIT", "ROLLBACK", "INSERT 0 1", ...), and
 * the transaction status of the ReadyForQuery that ended it. `status` is undefined when the
 * connection was lost before that ReadyForQuery: then the statements after the confirmed ones
 * may or may not have run (a COMMIT among them may have committed).
 */
export interface ScriptReply {
  commands: string[];
  status: TransactionStatus | undefined;
}

export type ScriptResult =
  | ({ ok: true } & ScriptReply)
  /** `completedStatements`: how many statements of the script finished before the failing one (commands.length) */
  | ({ ok: false; error: SqlErrorInfo; completedStatements: number } & ScriptReply);

/** The little strata needs from a connection; one implementation per driver. */
export interface Database {
  /** one process's database, in this process (PGlite): the caller says so in one line */
  readonly isEmbedded: boolean;
  /**
   * Whether a commit may leave its WAL flush to the server. A server flushes a deferred commit on
   * its own within a fraction of a second, whatever becomes of the client; the embedded database has
   * no WAL writer and dies with this process, so there every commit waits for its flush.
   */
  readonly canDeferFlush: boolean;
  /**
   * How runs are kept from overlapping. 'advisory': other sessions can reach the database, so a run
   * takes strata's advisory lock (on its lock session). 'held-while-open': this process holds the
   * database alone for as long as it is open (the embedded database's lock file, taken when it was
   * opened), so a run needs no lock of its own.
   */
  readonly runLock: 'advisory' | 'held-while-open';
  /** Whether a running statement can be cancelled from another connection (pg_cancel_backend): not on PGlite */
  readonly canCancel: boolean;
  /** the server's version as server_version_num says it (150020 for 15.20; PGlite: 18) */
  readonly serverVersionNum: number;
  /** One statement over the extended protocol, with parameters. SQL errors throw `DatabaseQueryError`. */
  query<R = Record<string, unknown>>(text: string, values?: readonly unknown[]): Promise<R[]>;
  /**
   * Any number of statements over the simple protocol. SQL errors and a lost connection are
   * returned, not thrown. Result rows are read and dropped as they arrive, never kept.
   */
  runScript(text: string): Promise<ScriptResult>;
  /**
   * The value the server last reported for a setting it reports to clients (ParameterStatus:
   * standard_conforming_strings, client_encoding, ...); undefined when it has not said.
   */
  reportedSetting(name: string): string | undefined;
  /** The server's process id for this connection (pg_backend_pid()). */
  backendPid(): Promise<number>;
  /**
   * A second connection to the same database that strata runs nothing of a revision on, opened
   * on first use and closed with this one: where the run lock lives, out of reach of the SQL of
   * the revisions. Absent for a database that serves one session (PGlite).
   */
  lockSession?(): Promise<Database>;
  /** A new, separate connection to the same database (to find out what became of a lost one). Absent for PGlite. */
  openSession?(applicationName: string): Promise<Database>;
  close(): Promise<void>;
}

/** server_version as a number, as server_version_num has it: '15.20 (Debian 15.20-0+deb12u1)' -> 150020; '9.6.24' -> 90624; unknown -> 0 */
export function serverVersionNumOf(version: string | undefined): number {
  const match = /^(\d+)(?:\.(\d+))?(?:\.(\d+))?/.exec(version ?? '');
  if (!match) return 0;
  const [major, minor, patch] = [Number(match[1]), Number(match[2] ?? 0), Number(match[3] ?? 0)];
  return major >= 10 ? major * 10000 + minor : major * 10000 + minor * 100 + patch;
}

export class DatabaseQueryError extends Error {
  readonly info: SqlErrorInfo;
  constructor(info: SqlErrorInfo) {
    super(info.message);
    this.name = 'DatabaseQueryError';
    this.info = info;
  }
}

interface ErrorFields {
  code?: unknown;
  message?: unknown;
  severity?: unknown;
  detail?: unknown;
  hint?: unknown;
  position?: unknown;
  internalPosition?: unknown;
  internalQuery?: unknown;
  where?: unknown;
  table?: unknown;
  constraint?: unknown;
}

/** Both pg and PGlite raise errors carrying the ErrorResponse fields; anything else is not an SQL error. */
export function sqlErrorInfo(error: unknown): SqlErrorInfo | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const fields = error as ErrorFields;
  if (typeof fields.code !== 'string' || !/^[0-9A-Z]{5}$/.test(fields.code)) return undefined;
  const text = (value: unknown) => (typeof value === 'string' && value !== '' ? value : undefined);
  const number = (value: unknown) => (value === undefined || value === null || value === '' ? undefined : Number(value));
  return {
    code: fields.code,
    message: text(fields.message) ?? 'unknown error',
    severity: text(fields.severity),
    detail: text(fields.detail),
    hint: text(fields.hint),
    position: number(fields.position),
    internalPosition: number(fields.internalPosition),
    internalQuery: text(fields.internalQuery),
    where: text(fields.where),
    table: text(fields.table),
    constraint: text(fields.constraint),
  };
}

/** Closes `db`, then runs `after` (drop a temporary database, release a lock file) whatever became of the close. */
export async function closeThen(db: Database, after: () => void | Promise<void>): Promise<void> {
  try {
    await db.close();
  } finally {
    await after();
  }
}
