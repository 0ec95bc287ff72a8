import type { StrataConfig } from '../config.js';
import { DatabaseQueryError } from '../db/database.js';
import { openDatabase } from '../db/open-database.js';
import { problem, type Unavailable } from '../errors.js';
import { targetsFromRows, type TargetsResult } from './targets.js';

/**
 * `--targets-query`: the fleet listed by a query on the catalog database (--database-url /
 * DATABASE_URL), one row a target. The query only reads: it runs in a read-only transaction.
 */
export async function queryTargets(config: StrataConfig, query: string): Promise<TargetsResult | Unavailable> {
  if (!config.databaseUrl) {
    return { ok: false, reason: 'invalid', problems: [problem('ARGUMENT_INVALID', {
      message: '--targets-query runs on the catalog database, and none is set',
      hint: 'give the catalog database with --database-url or DATABASE_URL, e.g. strata up --database-url postgres://host/catalog --targets-query "select name, url from tenants"',
    })] };
  }
  const open = await openDatabase(config, { command: 'up' });
  if (!open.ok) return open;
  const { db } = open.opened;
  try {
    await db.query('begin read only');
    const rows = await db.query<Record<string, unknown>>(query);
    await db.query('rollback');
    return targetsFromRows(rows.length > 0 ? Object.keys(rows[0]!) : ['url'], rows);
  } catch (error) {
    if (!(error instanceof DatabaseQueryError)) throw error;
    return { ok: false, reason: 'invalid', problems: [problem('ARGUMENT_INVALID', {
      message: `--targets-query failed on ${config.redact(config.databaseUrl)}: ${error.info.message} (${error.info.code})`,
      hint: 'fix the query; it must return a column url (and may return name, schema, search_path), e.g. select name, url from tenants',
    })] };
  } finally {
    await open.opened.close();
  }
}
