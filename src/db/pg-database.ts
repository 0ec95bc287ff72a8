import os from 'node:os';
import pg from 'pg';
import { redactConnectionString, redactUrl } from '../text/redact.js';
import { withLibpqSslMode } from './ssl-mode.js';
import { StrataError } from '../errors.js';
import { DatabaseQueryError, serverVersionNumOf, sqlErrorInfo, type Database, type ScriptResult } from './database.js';
import { connectionLostInfo, ScriptSubmittable, transactionStatusOf } from './pg-script.js';

/**
 * The user a URL without one connects as, as psql's: PGUSER, else the operating system's user
 * name. pg falls back on $USER only, which cron, systemd units and many containers leave unset;
 * the server then refused with 'no PostgreSQL user name specified in startup packet'.
 */
function useLibpqDefaultUser(): void {
  if (pg.defaults.user) return;
  try {
    pg.defaults.user = os.userInfo().username;
  } catch {
    // no user name for this uid (a container's arbitrary uid): the server says what is missing
  }
}

/**
 * A dedicated connection to a PostgreSQL server (and, once asked for, a second one for the run
 * lock). `connectTimeoutMs` bounds the connection attempt; none by default.
 *
 * `urlSetting`: where the user set the URL, for the hint of a URL that cannot be used or reached.
 * `settings`: the session's own defaults, sent when it starts (what RESET returns to).
 */
export async function connectPostgres(url: string, applicationName = 'strata', connectTimeoutMs?: number, urlSetting = 'DATABASE_URL (or --database-url)', settings: Readonly<Record<string, string>> = {}): Promise<Database> {
  let client: pg.Client;
  useLibpqDefaultUser();
  const options = Object.entries(settings).map(([name, value]) => `-c ${name}=${value}`).join(' ');
  try {
    client = new pg.Client({ connectionString: withLibpqSslMode(url), application_name: applicationName, ...(connectTimeoutMs ? { connectionTimeoutMillis: connectTimeoutMs } : {}), ...(options ? { options } : {}) });
  } catch (error) {
    // pg parses the URL in the constructor (e.g. 'Invalid URL' for a port over 65535)
    throw new StrataError('CONFIG_INVALID', {
      message: `cannot use ${redactConnectionString(url)} as a connection string: ${redactUrl((error as Error).message)}`,
      hint: `check ${urlSetting}: postgres://host:5432/database, with user:password@ before the host, special characters in the password percent-encoded (@ as %40, # as %23, / as %2F, ? as %3F, a space as %20)`,
    });
  }
  // A server-side disconnect (e.g. pg_terminate_backend) surfaces on the pending query;
  // without this listener it would also crash the process as an unhandled 'error' event.
  client.on('error', () => {});
  const parameters = reportedParameters(client);
  try {
    await client.connect();
  } catch (error) {
    await client.end().catch(() => {});
    throw new StrataError('CONNECTION_FAILED', {
      message: `cannot connect to ${redactConnectionString(url)}: ${redactUrl((error as Error).message)}`,
      hint: `check ${urlSetting} and that the server is running`,
    });
  }
  return postgresDatabase(client, parameters, url);
}

/** A look at what became of a lost connection should not hang on a server that does not answer. */
const OPEN_SESSION_TIMEOUT_MS = 5000;

type Client = pg.Client & { getTransactionStatus(): string | null; processID: number; connection: NodeJS.EventEmitter };

/**
 * The settings the server reports (ParameterStatus) arrive from the start of the session on:
 * they are read from the connection before it connects.
 */
function reportedParameters(client: pg.Client): Map<string, string> {
  const parameters = new Map<string, string>();
  (client as Client).connection.on('parameterStatus', (message: { parameterName: string; parameterValue: string }) => {
    parameters.set(message.parameterName, message.parameterValue);
  });
  return parameters;
}

function postgresDatabase(client: pg.Client, parameters: Map<string, string>, url: string): Database {
  const raw = client as Client;
  let lock: Promise<Database> | undefined;
  return {
    isEmbedded: false,
    runLock: 'advisory',
    canDeferFlush: true,
    canCancel: true,
    serverVersionNum: serverVersionNumOf(parameters.get('server_version')),
    async query<R>(text: string, values?: readonly unknown[]): Promise<R[]> {
      try {
        const result = await client.query(text, values as unknown[] | undefined);
        return result.rows as R[];
      } catch (error) {
        const info = sqlErrorInfo(error);
        if (info) throw new DatabaseQueryError(info);
        throw error;
      }
    },
    async runScript(text: string): Promise<ScriptResult> {
      const script = new ScriptSubmittable(text, () => transactionStatusOf(raw.getTransactionStatus()));
      try {
        client.query(script as unknown as pg.QueryConfig);
      } catch (error) {
        return { ok: false, error: connectionLostInfo((error as Error).message), completedStatements: 0, commands: [], status: undefined };
      }
      return script.result;
    },
    reportedSetting: (name) => parameters.get(name),
    async backendPid() {
      return raw.processID;
    },
    lockSession() {
      lock ??= connectPostgres(url, 'strata').catch((error: unknown) => {
        lock = undefined;
        throw error;
      });
      return lock;
    },
    openSession: (applicationName) => connectPostgres(url, applicationName, OPEN_SESSION_TIMEOUT_MS),
    async close() {
      const sibling = lock;
      lock = undefined;
      await Promise.all([client.end().catch(() => {}), sibling?.then((db) => db.close(), () => {})]);
    },
  };
}
