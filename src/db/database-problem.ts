import { problem, type Problem } from '../errors.js';
import { DatabaseQueryError, sqlErrorInfo } from './database.js';

/**
 * An error that the database raised outside any revision's SQL (reading the tracking tables,
 * waiting for the lock, creating the tracking schema) as a problem a user can act on, or undefined
 * for anything else (a bug, which keeps its stack trace). Nothing ran when it is reported.
 */
export function databaseProblem(error: unknown, schema: string): Problem | undefined {
  const info = error instanceof DatabaseQueryError ? error.info : sqlErrorInfo(error);
  if (info) {
    const hint = HINTS[info.code]?.(schema) ?? `SQLSTATE ${info.code}${info.hint ? `: ${info.hint}` : ''}`;
    // strata's own queries all work in (or lock on) the tracking schema
    return problem('DATABASE_ERROR', { message: `strata's own query failed: ${info.message} (${info.code})`, hint, object: { kind: 'schema', name: schema } });
  }
  if (error instanceof Error && /connection|terminat|ECONNRESET|EPIPE|socket/i.test(error.message)) {
    return problem('CONNECTION_FAILED', {
      message: `the connection to the database was lost: ${error.message}`,
      hint: 'the server ended the session (restarted, or pg_terminate_backend by an administrator); nothing strata had not committed was kept — run the command again',
    });
  }
  return undefined;
}

/** a tracking table or column strata's queries name is not there, or not of its type: changed by hand, or another tool's schema */
const trackingChanged = (schema: string) => `the tracking tables in schema ${schema} are not as strata made them (a table or column dropped or changed by hand, or a schema of that name that is another tool's): restore them as strata sql up --from base defines them, or use another --schema`;

const HINTS: Record<string, (schema: string) => string> = {
  // undefined_column, undefined_table, datatype_mismatch: in strata's own queries, only the tracking tables are named
  '42703': trackingChanged,
  '42P01': trackingChanged,
  '42804': trackingChanged,
  // insufficient_privilege
  '42501': (schema) => `the database role needs USAGE and CREATE on schema ${schema} and SELECT, INSERT, UPDATE, DELETE on its tables `
    + `(e.g. grant all on schema ${schema} to <role>; grant all on all tables in schema ${schema} to <role>), or use another --schema`,
  // query_canceled: a statement_timeout set for the database or role (ALTER DATABASE/ROLE ... SET) applies to strata's queries too
  '57014': () => 'a statement_timeout set on the database or role cancelled it (waiting for another runner\'s lock counts); '
    + 'run strata as a role without it (ALTER ROLE <role> SET statement_timeout = 0), or raise it',
  // admin_shutdown (pg_terminate_backend, server shut down), crash_shutdown, cannot_connect_now
  '57P01': () => 'the server ended this session (pg_terminate_backend, or a shutdown); nothing uncommitted was kept — run the command again',
  '57P02': () => 'the server crashed and ended this session; nothing uncommitted was kept — run the command again once it is back',
  '57P03': () => 'the server is starting or shutting down; try again in a moment',
  // read_only_sql_transaction: a hot standby, or default_transaction_read_only
  '25006': () => 'this database only allows reading (a standby, or default_transaction_read_only): point DATABASE_URL at the primary',
  // lock_not_available: a lock_timeout set on the database or role
  '55P03': () => 'a lock_timeout set on the database or role gave up waiting for a lock; raise it, or run when the table is free',
};
