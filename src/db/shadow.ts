import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { StrataConfig } from '../config.js';
import { problem, StrataError, type Problem, type Unavailable } from '../errors.js';
import { formatConnectionUrl, parseConnectionUrl } from '../text/connection-url.js';
import { redactConnectionString } from '../text/redact.js';
import { closeThen, DatabaseQueryError, type Database } from './database.js';
import { databaseProblem } from './database-problem.js';
import { quoteLiteral } from '../sql/quote.js';
import { quoteIdentifier } from './tracking.js';
import { dropSubscriptions, findForeignObjects, readBaseline, restoreBaseline, type FoundObject } from './shadow-contents.js';

/**
 * A shadow database: a scratch database strata migrates to learn what the migrations produce
 * (dump, check). Which one, in this order:
 *   1. SHADOW_DATABASE_URL: used as it is; it must be empty, and is emptied again of what strata
 *      made in it after use;
 *   2. with DATABASE_URL: a temporary database created on the same server (the same version as
 *      production), dropped afterwards, also after a failure or Ctrl-C;
 *   3. else an in-memory PGlite, copied from the embedded database's cached template (no initdb)
 *      into a temporary folder that is removed afterwards.
 * A shadow that is not empty is refused (SHADOW_NOT_EMPTY) and left as it is, never wiped.
 */

export type ShadowSource = 'configured' | 'temporary' | 'pglite';

/**
 * Whether a command may hold two shadows at once: only temporary databases on a server (the
 * server then works on both in parallel); never PGlite, whose instances would each hold their
 * memory, nor the one SHADOW_DATABASE_URL.
 */
export function shadowsMayRunAtOnce(config: StrataConfig): boolean {
  return !config.shadowDatabaseUrl && Boolean(config.databaseUrl);
}

export interface Shadow {
  db: Database;
  source: ShadowSource;
  /** the one line that says which shadow this is */
  description: string;
}

export interface ShadowOptions {
  /** hears what is worth a line while the shadow is made (the embedded template's creation); `Shadow.description` says which it is */
  onNote?: (message: string) => void;
  /** told as the shadow starts being closed (dropped), `use` done with it */
  onClose?: () => void;
}

/**
 * Opens a shadow, hands it to `use`, and always closes (drops, removes, empties) it after, in a
 * `finally`: on success, on a failure, and when `use` returns early because it was asked to stop.
 * A shadow that cannot be had comes back as `unavailable`, as openDatabase reports a database.
 */
export async function withShadow<T>(config: StrataConfig, options: ShadowOptions, use: (shadow: Shadow) => Promise<T>): Promise<T | Unavailable> {
  const onNote = options.onNote ?? (() => {});
  let opened: OpenedShadow;
  try {
    opened = await openShadow(config, onNote);
  } catch (error) {
    return unavailable(error, config);
  }
  let isEmpty = false;
  try {
    const found = await findForeignObjects(opened.shadow.db, config.schema);
    if (found.length > 0) return { ok: false, reason: 'unavailable', problems: [notEmptyProblem(opened.shadow, found)] };
    isEmpty = true;
    const baseline = opened.shadow.source === 'configured' ? await readBaseline(opened.shadow.db) : undefined;
    try {
      return await use(opened.shadow);
    } finally {
      if (baseline) await restoreBaseline(opened.shadow.db, baseline);
    }
  } catch (error) {
    return unavailable(error, config);
  } finally {
    options.onClose?.();
    // a shadow found not empty is someone else's: closed, never dropped or emptied
    await opened.close(isEmpty).catch(() => {});
  }
}

interface OpenedShadow {
  shadow: Shadow;
  /** `isOurs`: the shadow was found empty, so what is in it now is strata's to remove */
  close(isOurs: boolean): Promise<void>;
}

async function openShadow(config: StrataConfig, onNote: (message: string) => void): Promise<OpenedShadow> {
  if (config.shadowDatabaseUrl) {
    const db = await connect(config.shadowDatabaseUrl, 'SHADOW_DATABASE_URL (or --shadow-database-url)');
    const description = `shadow database: ${config.redact(config.shadowDatabaseUrl)} (SHADOW_DATABASE_URL)`;
    return { shadow: { db, source: 'configured', description }, close: () => db.close() };
  }
  if (config.databaseUrl) return openTemporaryDatabase(config, config.databaseUrl, onNote);
  return openTemporaryPglite(config, onNote);
}

/**
 * `setting`: where the URL came from, named in the hint when it cannot be used or reached (default DATABASE_URL).
 * A shadow is scratch, never kept: its commits need not wait for the disk (synchronous_commit
 * off, as the session's own default, so the executor's session reset after each revision keeps it).
 */
async function connect(url: string, setting?: string): Promise<Database> {
  const { connectPostgres } = await import('./pg-database.js');
  return connectPostgres(url, 'strata shadow', undefined, setting, { synchronous_commit: 'off' });
}

const SHADOW_MARK = 'strata shadow database, dropped after use; created';
/** A shadow left this long with nobody connected was abandoned (its strata was killed): never one in use. */
const ABANDONED_AFTER = '10 minutes';

/**
 * Temporary shadows a killed strata left behind (kill -9 skips the drop): strata's mark in their
 * comment, nobody connected, made long enough ago that no strata is still setting one up.
 */
async function dropAbandonedShadows(admin: Database, onNote: (message: string) => void): Promise<void> {
  const abandoned = await admin.query<{ name: string }>(`select d.datname as name from pg_database d
      join pg_shdescription s on s.classoid = 'pg_database'::regclass and s.objoid = d.oid
    where d.datname like 'strata\\_shadow\\_%' and starts_with(s.description, $1)
      and substring(s.description from length($1) + 2)::timestamptz < now() - $2::interval
      and not exists (select 1 from pg_stat_activity a where a.datid = d.oid)`, [SHADOW_MARK, ABANDONED_AFTER]).catch(() => []);
  for (const { name } of abandoned) {
    const dropped = await admin.query(`drop database if exists ${quoteIdentifier(name)} with (force)`).then(() => true, () => false);
    if (dropped) onNote(`dropped ${name}, a temporary shadow database a killed strata left behind`);
  }
}

/** `create database strata_shadow_<random>` on the server of DATABASE_URL, from template0 (nothing copied from template1). */
async function openTemporaryDatabase(config: StrataConfig, serverUrl: string, onNote: (message: string) => void): Promise<OpenedShadow> {
  const name = `strata_shadow_${randomBytes(6).toString('hex')}`;
  const admin = await connect(serverUrl);
  await dropAbandonedShadows(admin, onNote);
  try {
    await admin.query(`create database ${quoteIdentifier(name)} template template0`);
    // the mark dropAbandonedShadows looks for: whose it is, and since when
    await admin.query(`comment on database ${quoteIdentifier(name)} is ${quoteLiteral(`${SHADOW_MARK} ${new Date().toISOString()}`)}`);
  } catch (error) {
    await admin.close();
    const found = databaseProblem(error, config.schema);
    if (!found) throw error;
    const reason = error instanceof DatabaseQueryError ? error.info.message : found.message;
    throw new StrataError('SHADOW_UNAVAILABLE', {
      message: `cannot create a temporary shadow database on ${config.redact(serverUrl)}: ${reason}`,
      hint: 'give the role CREATEDB (alter role <role> createdb), or set SHADOW_DATABASE_URL to an empty database strata may use',
    });
  }
  const drop = async () => {
    try {
      // (force): a connection left open by a revision (dblink) must not keep the database alive
      await admin.query(`drop database if exists ${quoteIdentifier(name)} with (force)`);
    } finally {
      await admin.close();
    }
  };
  const url = parseConnectionUrl(serverUrl);
  url.pathname = `/${name}`;
  let db: Database;
  try {
    db = await connect(formatConnectionUrl(url));
  } catch (error) {
    await drop();
    throw error;
  }
  const description = temporaryDescription([name], redactConnectionString(serverUrl));
  return {
    shadow: { db, source: 'temporary', description },
    // a database that has a subscription cannot be dropped
    close: async () => {
      // (a lost connection: the drop says so)
      await dropSubscriptions(db).catch(() => {});
      await closeThen(db, drop);
    },
  };
}

/** A PGlite database in a temporary folder, unpacked from the template cache (pglite-template.ts): no initdb after the first time. */
async function openTemporaryPglite(config: StrataConfig, onNote: (message: string) => void): Promise<OpenedShadow> {
  const folder = mkdtempSync(path.join(os.tmpdir(), 'strata-shadow-'));
  const remove = () => rmSync(folder, { recursive: true, force: true });
  try {
    const { openPglite } = await import('./pglite-database.js');
    const db = await openPglite(path.join(folder, 'pgdata'), {
      cacheDir: config.cacheDir,
      onCreate: (source) => {
        if (source !== 'template') onNote("making the embedded database's template: PostgreSQL's initdb runs once for this PGlite version (a few seconds)");
      },
    });
    const description = 'shadow database: a temporary embedded PGlite database (set DATABASE_URL or SHADOW_DATABASE_URL to use a server)';
    return {
      shadow: { db, source: 'pglite', description },
      close: () => closeThen(db, remove),
    };
  } catch (error) {
    remove();
    throw error;
  }
}

function notEmptyProblem(shadow: Shadow, found: readonly FoundObject[]): Problem {
  const named = found.slice(0, 5).map((f) => `${f.kind} ${f.name}`).join(', ');
  const more = found.length > 5 ? ` and ${found.length - 5} more` : '';
  return problem('SHADOW_NOT_EMPTY', {
    message: `the ${shadow.source === 'configured' ? 'database SHADOW_DATABASE_URL names' : 'shadow database'} is not empty: ${named}${more}`,
    hint: 'strata migrates a shadow database from nothing and never wipes one: point SHADOW_DATABASE_URL at an empty database (create database app_shadow), or empty this one yourself',
  });
}

function unavailable(error: unknown, config: StrataConfig): Unavailable {
  if (error instanceof StrataError) return { ok: false, reason: 'unavailable', problems: error.problems };
  const found = databaseProblem(error, config.schema);
  if (found) return { ok: false, reason: 'unavailable', problems: [found] };
  throw error;
}

const TEMPORARY_NOTE = '(dropped after; set SHADOW_DATABASE_URL to choose one)';

function temporaryDescription(names: readonly string[], server: string): string {
  return names.length === 1
    ? `shadow database: ${names[0]}, a temporary database on ${server} ${TEMPORARY_NOTE}`
    : `shadow databases: ${names.slice(0, -1).join(', ')} and ${names.at(-1)}, temporary databases on ${server} ${TEMPORARY_NOTE}`;
}

/**
 * The one line for shadows a command uses at once: temporary databases on one server are named
 * together (`shadow databases: a and b, temporary databases on ...`), the same shadow said twice is
 * said once, and anything else is listed in order.
 */
export function describeShadows(descriptions: readonly string[]): string {
  const unique = [...new Set(descriptions)];
  const pattern = /^shadow database: (\S+), a temporary database on (.*) \(dropped after; set SHADOW_DATABASE_URL to choose one\)$/;
  const temporary = unique.map((d) => pattern.exec(d));
  const server = temporary[0]?.[2];
  if (unique.length > 1 && temporary.every((m) => m !== null && m[2] === server)) return temporaryDescription(temporary.map((m) => m![1]!), server!);
  return unique.join('; ');
}
