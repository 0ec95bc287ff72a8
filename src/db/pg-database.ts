import pg from 'pg';
import { redactConnectionString, redactUrl } from '../text/redact.js';
import { StrataError } from '../errors.js';
import { DatabaseQueryError, sqlErrorInfo, type Database, type ScriptResult, type SqlErrorInfo } from './database.js';

/** A single dedicated connection to a PostgreSQL server. */
export async function connectPostgres(url: string, applicationName = 'strata'): Promise<Database> {
  let client: pg.Client;
  try {
    client = new pg.Client({ connectionString: url, application_name: applicationName });
  } catch (error) {
    // pg parses the URL in the constructor (e.g. 'Invalid URL' for a port over 65535)
    throw new StrataError('CONFIG_INVALID', {
      message: `cannot use ${redactConnectionString(url)} as a connection string: ${redactUrl((error as Error).message)}`,
      hint: 'check DATABASE_URL (or --database-url): postgres://host:5432/database, with user:password@ before the host, special characters in the password percent-encoded (@ as %40, # as %23, / as %2F, ? as %3F, a space as %20)',
    });
  }
  // A server-side disconnect (e.g. pg_terminate_backend) surfaces on the pending query;
  // without this listener it would also crash the process as an unhandled 'error' event.
  client.on('error', () => {});
  // the server says its version when the session starts (ParameterStatus): no query needed
  let serverVersion = '';
  const connection = (client as unknown as { connection: NodeJS.EventEmitter }).connection;
  connection.on('parameterStatus', (message: { parameterName: string; parameterValue: string }) => {
    if (message.parameterName === 'server_version') serverVersion = message.parameterValue;
  });
  try {
    await client.connect();
  } catch (error) {
    await client.end().catch(() => {});
    throw new StrataError('CONNECTION_FAILED', {
      message: `cannot connect to ${redactConnectionString(url)}: ${redactUrl((error as Error).message)}`,
      hint: 'check DATABASE_URL (or --database-url) and that the server is running',
    });
  }
  return {
    kind: 'postgres',
    serverVersionNum: versionNum(serverVersion),
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
      let completedStatements = 0;
      const onComplete = () => completedStatements++;
      connection.on('commandComplete', onComplete);
      try {
        await client.query(text);
        return { ok: true };
      } catch (error) {
        // A lost connection still tells how many statements the server confirmed before it.
        const info = sqlErrorInfo(error) ?? connectionLost(error);
        return { ok: false, error: info, completedStatements };
      } finally {
        connection.off('commandComplete', onComplete);
      }
    },
    async backendPid() {
      return (client as unknown as { processID: number }).processID;
    },
    async close() {
      await client.end().catch(() => {});
    },
  };
}

/** '15.20 (Debian 15.20-0+deb12u1)' -> 150020; '9.6.24' -> 90624; unknown -> 0 */
function versionNum(version: string): number {
  const match = /^(\d+)(?:\.(\d+))?(?:\.(\d+))?/.exec(version);
  if (!match) return 0;
  const [major, minor, patch] = [Number(match[1]), Number(match[2] ?? 0), Number(match[3] ?? 0)];
  return major >= 10 ? major * 10000 + minor : major * 10000 + minor * 100 + patch;
}

function connectionLost(error: unknown): SqlErrorInfo {
  return {
    code: '08006', message: `connection lost: ${(error as Error).message}`, severity: 'FATAL',
    detail: undefined, hint: 'the server ended the connection; what was not committed was rolled back by the server',
    position: undefined, internalPosition: undefined, internalQuery: undefined, where: undefined,
  };
}
