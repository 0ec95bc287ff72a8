import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseEnv } from 'node:util';
import { StrataError } from './errors.js';

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
  /** where strata keeps the embedded database's template, shared by all projects; undefined = none */
  cacheDir: string | undefined;
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

  const dir = path.resolve(cwd, pick(options.dir, 'STRATA_DIR') ?? 'migrations');
  const schema = pick(options.schema, 'STRATA_SCHEMA') ?? 'strata';
  if (schema.length > 63) {
    throw new StrataError('CONFIG_INVALID', {
      message: `tracking schema name '${schema}' is longer than PostgreSQL's 63-byte limit`,
      hint: 'choose a shorter --schema / STRATA_SCHEMA',
    });
  }
  const lockTimeoutText = options.lockTimeoutSeconds?.toString() ?? pick(undefined, 'STRATA_LOCK_TIMEOUT');
  const lockTimeoutSeconds = lockTimeoutText === undefined ? 60 : Number(lockTimeoutText);
  if (!Number.isFinite(lockTimeoutSeconds) || lockTimeoutSeconds < 0) {
    throw new StrataError('CONFIG_INVALID', {
      message: `lock timeout '${lockTimeoutText}' is not a number of seconds`,
      hint: 'use --lock-timeout 60 or STRATA_LOCK_TIMEOUT=60',
    });
  }
  const databaseUrl = pick(options.databaseUrl, 'DATABASE_URL');
  const shadowDatabaseUrl = pick(options.shadowDatabaseUrl, 'SHADOW_DATABASE_URL');
  for (const [name, url] of [['DATABASE_URL', databaseUrl], ['SHADOW_DATABASE_URL', shadowDatabaseUrl]] as const) {
    if (url !== undefined && !/^postgres(ql)?:\/\//.test(url)) {
      throw new StrataError('CONFIG_INVALID', {
        message: `${name} must be a postgres:// or postgresql:// URL, got '${redactUrl(url)}'`,
        hint: 'e.g. postgres://user:password@localhost:5432/app',
      });
    }
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
    cacheDir: resolveCacheDir(pick(undefined, 'STRATA_CACHE_DIR'), env, cwd),
  };
}

/** STRATA_CACHE_DIR, else the platform's user cache folder (XDG_CACHE_HOME on Linux) + `strata`. */
function resolveCacheDir(explicit: string | undefined, env: Record<string, string | undefined>, cwd: string): string | undefined {
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
  try {
    return parseEnv(readFileSync(file, 'utf8')) as Record<string, string>;
  } catch (error) {
    throw new StrataError('CONFIG_INVALID', {
      file: '.env',
      message: `cannot read .env: ${(error as Error).message}`,
      hint: 'fix or remove the .env file',
    });
  }
}

/** A path as the user should see it: relative to cwd when inside it, absolute otherwise. */
export function displayPath(cwd: string, target: string): string {
  const relative = path.relative(cwd, target);
  if (relative === '') return '.';
  return relative.startsWith('..') || path.isAbsolute(relative) ? target : relative.split(path.sep).join('/');
}

/** Hides the password of a connection URL (and of key=value `password=` pairs) for printing. */
export function redactUrl(text: string): string {
  return text
    // any scheme: a mistyped one (mysql://, postgress://) is printed in the error that refuses it
    // the password runs to the last '@' (an unencoded '@' or '/' in it must not leave a piece showing)
    .replace(/([a-z][a-z0-9+.-]*:\/\/[^:/@\s]*:)\S*@/gi, '$1***@')
    .replace(/(password\s*=\s*)('[^']*'|\S+)/gi, '$1***');
}

/** Where the database is, for the one line that says what strata talks to. */
export function describeDatabase(config: StrataConfig): string {
  if (config.databaseUrl) return redactUrl(config.databaseUrl);
  return `embedded PGlite database in ${displayPath(config.cwd, config.embeddedDataDir)} (set DATABASE_URL to use a server)`;
}
