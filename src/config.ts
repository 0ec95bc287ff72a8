import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseEnv } from 'node:util';
import { StrataError } from './errors.js';
import { connectionUrlHost, parseConnectionUrl } from './text/connection-url.js';
import { createRedactor, redactConnectionString, type Redactor } from './text/redact.js';

/** What a caller may set; anything left out comes from the environment, then `.env`, then defaults. */
export interface StrataOptions {
  /** project directory; default process.cwd() */
  cwd?: string;
  /** postgres:// URL; unset = embedded PGlite under `<cwd>/.strata/` */
  databaseUrl?: string;
  shadowDatabaseUrl?: string;
  /** migrations folder, relative to cwd; default `migrations` */
  dir?: string;
  /** tracking schema; default `strata` */
  schema?: string;
  /** how long to wait for another runner's lock; default 60 s */
  lockTimeoutSeconds?: number;
  /** snapshots (dump, check) include grants and default privileges; default false (STRATA_PRIVILEGES=1) */
  privileges?: boolean;
  /** lock_timeout for the SQL of each revision, as '500ms' or '2s' (STRATA_LOCK_TIMEOUT_DDL); default none */
  lockTimeoutDdl?: string;
  /** how often a revision that hit its lock_timeout (SQLSTATE 55P03) is tried again (STRATA_RETRIES); default 0 */
  retries?: number | string;
  /** statement_timeout for the SQL of each revision, as '30s' (STRATA_STATEMENT_TIMEOUT); default none */
  statementTimeout?: string;
  /** environment to read; default process.env */
  env?: Record<string, string | undefined>;
}

export interface StrataConfig {
  cwd: string;
  /** absolute path of the migrations folder */
  dir: string;
  /** the migrations folder as printed to the user (relative to cwd when inside it) */
  dirLabel: string;
  schema: string;
  databaseUrl: string | undefined;
  shadowDatabaseUrl: string | undefined;
  lockTimeoutMs: number;
  /** where the embedded database lives when databaseUrl is unset */
  embeddedDataDir: string;
  /** hides the passwords of the configured URLs (and of any URL) in text meant for people or logs */
  redact: Redactor;
  /** where strata keeps the embedded database's template, shared by all projects; undefined = none */
  cacheDir: string | undefined;
  /** snapshots include grants and default privileges (ownership is never compared) */
  privileges: boolean;
  /** what the SQL of each revision runs with: lock_timeout, statement_timeout, retries after a lock timeout */
  ddl: DdlTimeouts;
}

/**
 * Bounds for the SQL of the revisions themselves (not strata's own lock, which --lock-timeout
 * bounds): a DDL statement waiting for its lock queues every later query on that table behind
 * it, so lock_timeout makes it give up soon and `retries` tries the revision again later.
 */
export interface DdlTimeouts {
  lockTimeoutMs: number | undefined;
  statementTimeoutMs: number | undefined;
  retries: number;
}

export function resolveConfig(options: StrataOptions = {}): StrataConfig {
  const cwd = path.resolve(options.cwd ?? process.cwd());
  const env = options.env ?? process.env;
  const dotEnv = readDotEnv(cwd);
  const pick = (flag: string | undefined, name: string): string | undefined => {
    if (flag !== undefined && flag !== '') return flag;
    const fromEnv = env[name];
    if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
    const fromFile = dotEnv[name];
    return fromFile !== undefined && fromFile !== '' ? fromFile : undefined;
  };

  for (const [name, value] of [['databaseUrl', options.databaseUrl], ['shadowDatabaseUrl', options.shadowDatabaseUrl], ['dir', options.dir], ['schema', options.schema]] as const) {
    if (value !== undefined && typeof value !== 'string') {
      throw new StrataError('CONFIG_INVALID', { message: `option ${name} must be a string, got ${typeof value}`, hint: `pass ${name} as text, e.g. String(value)` });
    }
  }
  const dir = path.resolve(cwd, pick(options.dir, 'STRATA_DIR') ?? 'migrations');
  const schema = pick(options.schema, 'STRATA_SCHEMA') ?? 'strata';
  // PostgreSQL cuts identifiers at 63 bytes, not characters: two long names would share the
  // tables (cut to the same name) but not the lock (keyed by the whole name)
  const schemaBytes = Buffer.byteLength(schema, 'utf8');
  if (schemaBytes > 63) {
    throw new StrataError('CONFIG_INVALID', {
      message: `tracking schema name '${schema}' is ${schemaBytes} bytes in UTF-8 (${[...schema].length} characters); PostgreSQL's limit is 63 bytes`,
      hint: 'choose a shorter --schema / STRATA_SCHEMA (characters outside ASCII take 2 to 4 bytes each)',
    });
  }
  // PostgreSQL's own: it refuses to create a pg_ schema, and information_schema exists (strata's
  // tables would go into the SQL standard's catalog, which pg_dump leaves out)
  if (schema.startsWith('pg_') || schema === 'information_schema') {
    throw new StrataError('CONFIG_INVALID', {
      message: `tracking schema '${schema}' is ${schema === 'information_schema' ? "PostgreSQL's information_schema" : 'a name PostgreSQL keeps for its own schemas (pg_...)'}: strata's tables cannot go there`,
      hint: 'choose another --schema / STRATA_SCHEMA, or leave it out for the default, strata',
    });
  }
  const lockTimeoutText = options.lockTimeoutSeconds?.toString() ?? pick(undefined, 'STRATA_LOCK_TIMEOUT');
  const lockTimeoutSeconds = lockTimeoutText === undefined ? 60 : Number(lockTimeoutText);
  // (Number('') is 0: an empty value is not a timeout of none)
  if (!Number.isFinite(lockTimeoutSeconds) || lockTimeoutSeconds < 0 || lockTimeoutText?.trim() === '') {
    throw new StrataError('CONFIG_INVALID', {
      message: `lock timeout '${lockTimeoutText}' is not a number of seconds`,
      hint: 'use --lock-timeout 60 or STRATA_LOCK_TIMEOUT=60',
    });
  }
  const ddl: DdlTimeouts = {
    lockTimeoutMs: durationSetting(pick(options.lockTimeoutDdl, 'STRATA_LOCK_TIMEOUT_DDL'), '--lock-timeout-ddl', 'STRATA_LOCK_TIMEOUT_DDL', options.lockTimeoutDdl),
    statementTimeoutMs: durationSetting(pick(options.statementTimeout, 'STRATA_STATEMENT_TIMEOUT'), '--statement-timeout', 'STRATA_STATEMENT_TIMEOUT', options.statementTimeout),
    retries: retriesSetting(pick(options.retries === undefined ? undefined : String(options.retries), 'STRATA_RETRIES'), options.retries !== undefined),
  };
  const databaseUrl = pick(options.databaseUrl, 'DATABASE_URL');
  const shadowDatabaseUrl = pick(options.shadowDatabaseUrl, 'SHADOW_DATABASE_URL');
  for (const [name, url, flag, flagName] of [['DATABASE_URL', databaseUrl, options.databaseUrl, '--database-url'], ['SHADOW_DATABASE_URL', shadowDatabaseUrl, options.shadowDatabaseUrl, '--shadow-database-url']] as const) {
    if (url === undefined) continue;
    // where the URL was set: a flag, the environment, or a line of .env (never the line's text)
    const isFlag = flag !== undefined && flag !== '';
    if (isFlag || (env[name] !== undefined && env[name] !== '')) {
      const problem = connectionUrlProblem(name, url);
      if (problem) throw new StrataError('CONFIG_INVALID', { ...problem, message: `${problem.message} (from ${isFlag ? flagName : 'the environment'})` });
      continue;
    }
    const problem = dotEnvUrlProblem(cwd, name, url);
    if (problem) throw new StrataError('CONFIG_INVALID', { ...problem, file: '.env' });
  }
  return {
    cwd,
    dir,
    dirLabel: displayPath(cwd, dir),
    schema,
    databaseUrl,
    shadowDatabaseUrl,
    lockTimeoutMs: Math.round(lockTimeoutSeconds * 1000),
    embeddedDataDir: path.join(cwd, '.strata', 'pglite'),
    redact: createRedactor(configuredUrls(options, dotEnv)),
    cacheDir: resolveCacheDir(pick(undefined, 'STRATA_CACHE_DIR'), env, cwd),
    privileges: options.privileges ?? yesOrNo('STRATA_PRIVILEGES', pick(undefined, 'STRATA_PRIVILEGES')),
    ddl,
  };
}

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, min: 60_000 };

/**
 * A duration as '500ms', '2s', '1.5s' or '1min'; 0 (with or without a unit) is "none". A bare
 * number is refused: --lock-timeout counts seconds and PostgreSQL milliseconds, so '5' is ambiguous.
 */
export function parseDuration(text: string): number | undefined {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|min)?\s*$/.exec(text);
  if (!match) return undefined;
  const value = Number(match[1]);
  if (match[2] === undefined) return value === 0 ? 0 : undefined;
  const ms = Math.round(value * DURATION_UNITS[match[2]]!);
  // PostgreSQL takes these settings as whole milliseconds up to 2^31 - 1
  return ms <= 2_147_483_647 ? ms : undefined;
}

function durationSetting(text: string | undefined, flag: string, variable: string, fromFlag: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const ms = parseDuration(text);
  const source = fromFlag !== undefined && fromFlag !== '' ? flag : variable;
  if (ms === undefined) {
    throw new StrataError('CONFIG_INVALID', {
      message: `${source} '${text}' is not a duration`,
      hint: `give a number with a unit, ms, s or min (e.g. ${flag} 500ms, ${flag} 2s), or 0 for none`,
    });
  }
  return ms === 0 ? undefined : ms;
}

function retriesSetting(text: string | undefined, fromFlag: boolean): number {
  if (text === undefined) return 0;
  const value = Number(text);
  if (!/^\s*\d+\s*$/.test(text) || value > 100) {
    throw new StrataError('CONFIG_INVALID', {
      message: `${fromFlag ? '--retries' : 'STRATA_RETRIES'} '${text}' is not a number of retries from 0 to 100`,
      hint: 'e.g. --retries 5: a revision that hits its --lock-timeout-ddl is tried up to 5 more times',
    });
  }
  return value;
}

function yesOrNo(name: string, text: string | undefined): boolean {
  if (text === undefined || text === '') return false;
  const value = text.trim().toLowerCase();
  if (['1', 'true', 'on', 'yes'].includes(value)) return true;
  if (['0', 'false', 'off', 'no'].includes(value)) return false;
  throw new StrataError('CONFIG_INVALID', { message: `${name} must be 1 or 0 (true/false, on/off, yes/no), got '${text}'`, hint: `e.g. ${name}=1` });
}

/**
 * The connection URLs a run would use, read as resolveConfig reads them but without checking them,
 * so that even a URL that is refused can be kept out of what is printed.
 */
export function configuredUrls(options: StrataOptions = {}, alreadyRead?: Record<string, string>): string[] {
  const env = options.env ?? process.env;
  let dotEnv: Record<string, string> = alreadyRead ?? {};
  if (!alreadyRead) {
    try {
      dotEnv = readDotEnv(path.resolve(options.cwd ?? process.cwd()));
    } catch {
      // an unreadable .env is reported by resolveConfig
    }
  }
  return [options.databaseUrl, options.shadowDatabaseUrl, env.DATABASE_URL, env.SHADOW_DATABASE_URL, dotEnv.DATABASE_URL, dotEnv.SHADOW_DATABASE_URL]
    .filter((url): url is string => typeof url === 'string' && url !== '');
}

/** STRATA_CACHE_DIR, else the platform's user cache folder (XDG_CACHE_HOME on Linux) + `strata`. */
export function resolveCacheDir(explicit: string | undefined, env: Record<string, string | undefined>, cwd: string): string | undefined {
  if (explicit !== undefined) return path.resolve(cwd, explicit);
  const xdg = env.XDG_CACHE_HOME;
  if (xdg && path.isAbsolute(xdg)) return path.join(xdg, 'strata');
  let home = env.HOME || env.USERPROFILE;
  try {
    home ||= os.homedir();
  } catch {
    // no home folder (some service accounts): no cache
  }
  if (!home) return undefined;
  if (process.platform === 'darwin') return path.join(home, 'Library', 'Caches', 'strata');
  if (process.platform === 'win32') return path.join(env.LOCALAPPDATA || path.join(home, 'AppData', 'Local'), 'strata', 'Cache');
  return path.join(home, '.cache', 'strata');
}

function readDotEnv(cwd: string): Record<string, string> {
  const file = path.join(cwd, '.env');
  if (!existsSync(file)) return {};
  let text: string;
  try {
    text = readDotEnvText(cwd);
  } catch (error) {
    throw new StrataError('CONFIG_INVALID', {
      file: '.env',
      message: `cannot read .env: ${(error as Error).message}`,
      hint: 'fix or remove the .env file',
    });
  }
  // a line that names one of strata's settings but sets nothing would be passed over, and strata
  // would go on without it (the embedded database instead of the server it names)
  const lines = text.split(/\r?\n|\r/);
  for (const [i, line] of lines.entries()) {
    const named = /^\s*(?:export\s+)?(DATABASE_URL|SHADOW_DATABASE_URL|STRATA_[A-Z_]+)\b(?!\s*=)/.exec(line);
    if (named) {
      throw new StrataError('CONFIG_INVALID', {
        file: '.env', line: i + 1,
        message: `.env line ${i + 1} names ${named[1]} but sets nothing: a setting there is NAME=value`,
        hint: `write it as ${named[1]}=<value>, or remove the line`,
      });
    }
  }
  return parseEnv(text) as Record<string, string>;
}

/** .env's text; a byte order mark (Windows editors write one) is no part of the first name */
function readDotEnvText(cwd: string): string {
  return readFileSync(path.join(cwd, '.env'), 'utf8').replace(/^\uFEFF/, '');
}

/**
 * Why a URL set in .env cannot be used, at its line (never the line's text: it holds the whole
 * password). An unquoted '#' starts a comment there, so a password with one is cut short: that is
 * said even when what is left happens to parse (postgres://app:123 reads as host app, port 123).
 */
function dotEnvUrlProblem(cwd: string, name: string, url: string): { message: string; hint: string; line?: number } | undefined {
  const setting = dotEnvLineOf(cwd, name);
  const at = setting === undefined ? {} : { line: setting.line };
  const opening = url.charAt(0);
  const unclosed = /^["'`]$/.test(opening) && !url.endsWith(opening) ? `the value opens a quote (${opening}) it never closes; ` : '';
  const hash = setting !== undefined && /^[^"'`]/.test(setting.value) ? setting.value.indexOf('#') : -1;
  const cutAtHash = unclosed === '' && hash >= 0;
  // (quotes would not do: in a URL a '#' ends the address, so the driver would cut it there instead)
  const hashHint = "in .env an unquoted '#' starts a comment, so the value ends before it: write the '#' of the password as %23";
  const problem = connectionUrlProblem(name, url);
  if (problem) return { ...problem, ...at, hint: cutAtHash ? `${hashHint}; ${problem.hint}` : `${unclosed}${problem.hint}` };
  if (cutAtHash && setting!.value.slice(hash).includes('@')) {
    // (no part of it shown: what is left after the user name is the password's start, digits or not)
    return { message: `${name} in .env is cut short at an unquoted '#' in its password`, hint: hashHint, ...at };
  }
  return undefined;
}

/** The line of .env that sets `name` (the last, which wins) and its value as written, for a problem with its value. */
function dotEnvLineOf(cwd: string, name: string): { line: number; value: string } | undefined {
  let lines: string[];
  try {
    lines = readDotEnvText(cwd).split(/\r?\n|\r/);
  } catch {
    return undefined;
  }
  const setting = new RegExp(`^\\s*(export\\s+)?${name}\\s*=`);
  for (let i = lines.length - 1; i >= 0; i--) {
    const found = setting.exec(lines[i]!);
    if (found) return { line: i + 1, value: lines[i]!.slice(found[0].length).trim() };
  }
  return undefined;
}

/** A path as the user should see it: relative to cwd when inside it, absolute otherwise. */
export function displayPath(cwd: string, target: string): string {
  const relative = path.relative(cwd, target);
  if (relative === '') return '.';
  return relative.startsWith('..') || path.isAbsolute(relative) ? target : relative.split(path.sep).join('/');
}

// no 'user:password@' in this text: it would be redacted as a real one
const URL_EXAMPLE = 'e.g. postgres://localhost:5432/app, with user:password@ before the host when it needs them';
const PERCENT_ENCODING_HINT = 'percent-encode special characters in the password: @ as %40, # as %23, / as %2F, ? as %3F, : as %3A, a space as %20 '
  + "(e.g. node -e \"console.log(encodeURIComponent(process.argv[1]))\" 'the password')";

/** Why a connection URL cannot be used as it is written, without ever showing its password. */
export function connectionUrlProblem(name: string, url: string): { message: string; hint: string } | undefined {
  const shown = redactConnectionString(url);
  if (/^\s+postgres(ql)?:\/\//.test(url)) {
    return { message: `${name} starts with whitespace before postgres:// ('${shown}')`, hint: 'remove it: the URL must start with postgres:// or postgresql:// (as for psql)' };
  }
  if (!/^postgres(ql)?:\/\//.test(url)) {
    return { message: `${name} must be a postgres:// or postgresql:// URL, got '${shown}'`, hint: `${URL_EXAMPLE}; ${PERCENT_ENCODING_HINT}` };
  }
  // A '#' ends a URL for URL parsers (and so for the driver): there is no use for one in a
  // connection URL, so it is an unencoded '#' in the password.
  if (url.includes('#')) {
    return { message: `${name} contains an unencoded '#' ('${shown}'): the driver would ignore everything after it, host included`, hint: PERCENT_ENCODING_HINT };
  }
  // A '/' or '?' in the password ends the address part early: the URL is invalid, or the driver
  // would read another host than the one written after the last '@' (an '@' inside the query string
  // is not such a case).
  const lastAt = url.lastIndexOf('@');
  const query = url.indexOf('?');
  // a query parameter's value may hold an '@' (?application_name=me@host); a '?' in a password has no '=' after it
  const isAtInQuery = query >= 0 && query < lastAt && url.slice(query, lastAt).includes('=');
  const isAtInAuthority = lastAt >= 0 && !isAtInQuery;
  const breaker = isAtInAuthority ? /[/?]/.exec(url.slice(url.indexOf('//') + 2, lastAt))?.[0] : undefined;
  const unencoded = { message: `${name} has an unencoded '${breaker}' in its password ('${shown}'): the driver would not connect to the host written after the '@'`, hint: PERCENT_ENCODING_HINT };
  let parsed: URL;
  try {
    parsed = parseConnectionUrl(url);
  } catch {
    return breaker ? unencoded : { message: `${name} is not a valid URL ('${shown}')`, hint: `${URL_EXAMPLE}; ${PERCENT_ENCODING_HINT}` };
  }
  if (breaker) {
    const written = /^(\[[^\]]*\]|[^:/?]*)/.exec(url.slice(lastAt + 1))![0];
    if (written.toLowerCase() !== connectionUrlHost(parsed).toLowerCase()) return unencoded;
  }
  return undefined;
}

/** Where the database is, for the one line that says what strata talks to. */
export function describeDatabase(config: StrataConfig): string {
  if (config.databaseUrl) return config.redact(config.databaseUrl);
  return `embedded PGlite database in ${displayPath(config.cwd, config.embeddedDataDir)} (set DATABASE_URL to use a server)`;
}
