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
}

export type ScriptResult =
  | { ok: true }
  /** `completedStatements`: how many statements of the script finished before the failing one */
  | { ok: false; error: SqlErrorInfo; completedStatements: number };

/** The little strata needs from a connection; one implementation per driver. */
export interface Database {
  readonly kind: 'postgres' | 'pglite';
  /** the server's version as server_version_num says it (150020 for 15.20; PGlite: 18) */
  readonly serverVersionNum: number;
  /** One statement over the extended protocol, with parameters. SQL errors throw `DatabaseQueryError`. */
  query<R = Record<string, unknown>>(text: string, values?: readonly unknown[]): Promise<R[]>;
  /** Any number of statements over the simple protocol. SQL errors are returned, not thrown. */
  runScript(text: string): Promise<ScriptResult>;
  /** The server's process id for this connection (pg_backend_pid()). */
  backendPid(): Promise<number>;
  close(): Promise<void>;
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
  };
}
