import { readFileSync } from 'node:fs';
import path from 'node:path';
import { connectionUrlProblem, displayPath } from '../config.js';
import { problem, type Problem } from '../errors.js';
import { connectionUrlHost, parseConnectionUrl } from '../text/connection-url.js';
import { redactConnectionString } from '../text/redact.js';

/**
 * The databases of a fleet, from a targets file or from the rows of a catalog query. A line of the
 * file is
 *
 *   [name=]URL [schema=TRACKING_SCHEMA] [search_path=SCHEMA[,SCHEMA...]]
 *
 * `schema` is the tracking schema of that target (its own lock and records: several tenants in one
 * database each have theirs); `search_path` is where the revisions' unqualified names go (sent as
 * the session's default, so RESET keeps it). Blank lines and lines starting with `#` are skipped.
 */
export interface FleetTarget {
  /** how the target is shown: its name, else host:port/database of its URL */
  name: string;
  url: string;
  /** the tracking schema; undefined = the run's (--schema, STRATA_SCHEMA, strata) */
  schema: string | undefined;
  /** the session's search_path; undefined = the server's default for that role and database */
  searchPath: string | undefined;
  /** where it was listed, for messages: `targets.txt:3` or `row 3 of --targets-query` */
  origin: string;
}

export type TargetsResult = { ok: true; targets: FleetTarget[] } | { ok: false; reason: 'invalid'; problems: Problem[] };

const NAME = /^[A-Za-z0-9_.-]+$/;
const SCHEMA_NAME = /^[A-Za-z_][A-Za-z0-9_$]*$/;
const SYNTAX = 'one target a line: [name=]postgres://host/db [schema=tracking_schema] [search_path=schema,...]';

/** One target described by its parts, checked as a line of the file is; `where` places the problems. */
interface RawTarget {
  name: string | undefined;
  url: string;
  schema?: string | undefined;
  searchPath?: string | undefined;
}

/** Reads and checks a targets file (path relative to cwd). */
export function readTargetsFile(cwd: string, file: string): TargetsResult {
  const shown = displayPath(cwd, path.resolve(cwd, file));
  let text: string;
  try {
    text = readFileSync(path.resolve(cwd, file), 'utf8');
  } catch (error) {
    const isMissing = (error as NodeJS.ErrnoException).code === 'ENOENT';
    return invalid([problem(isMissing ? 'FILE_MISSING' : 'FILE_UNREADABLE', {
      file: shown,
      message: isMissing ? `targets file ${shown} does not exist` : `cannot read targets file ${shown}: ${(error as Error).message}`,
      hint: `write ${SYNTAX}`,
    })]);
  }
  return parseTargetsFile(text, shown);
}

/** The targets of a file's text; every bad line is a problem naming file:line and the fix. */
export function parseTargetsFile(text: string, file: string): TargetsResult {
  const problems: Problem[] = [];
  const raws: Array<{ raw: RawTarget; line: number }> = [];
  text.replace(/^\uFEFF/, '').split(/\r?\n/).forEach((content, index) => {
    const line = index + 1;
    const trimmed = content.trim();
    if (trimmed === '' || trimmed.startsWith('#')) return;
    const parsed = parseLine(trimmed);
    if ('message' in parsed) problems.push(problem('ARGUMENT_INVALID', { file, line, message: parsed.message, hint: parsed.hint }));
    else raws.push({ raw: parsed, line });
  });
  const checked = checkTargets(raws.map(({ raw, line }) => ({ raw, origin: `${file}:${line}`, at: { file, line } })));
  problems.push(...checked.problems);
  problems.sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
  if (problems.length > 0) return invalid(problems);
  if (checked.targets.length === 0) return invalid([problem('ARGUMENT_INVALID', { file, message: `targets file ${file} lists no database`, hint: `write ${SYNTAX}` })]);
  return { ok: true, targets: checked.targets };
}

/** The targets of a catalog query's rows: a `url` column, and `name`, `schema`, `search_path` when it has them. */
export function targetsFromRows(columns: readonly string[], rows: readonly Record<string, unknown>[]): TargetsResult {
  const known = ['name', 'url', 'schema', 'search_path'];
  const where = '--targets-query';
  const expected = 'the query must return a column url (and may return name, schema, search_path), e.g. select name, url from tenants';
  if (!columns.includes('url') || columns.some((c) => !known.includes(c))) {
    return invalid([problem('ARGUMENT_INVALID', {
      message: `${where} returned the columns ${columns.map((c) => `'${c}'`).join(', ') || '(none)'}; expected url, or name and url (schema and search_path optional)`,
      hint: `${expected}; rename a column with AS (select db_url as url ...)`,
    })]);
  }
  const text = (value: unknown) => (value === null || value === undefined ? undefined : String(value));
  const checked = checkTargets(rows.map((row, index) => ({
    raw: { name: text(row.name), url: text(row.url) ?? '', schema: text(row.schema), searchPath: text(row.search_path) },
    origin: `row ${index + 1} of ${where}`,
    at: {},
  })));
  if (checked.problems.length > 0) return invalid(checked.problems);
  if (checked.targets.length === 0) return invalid([problem('ARGUMENT_INVALID', { message: `${where} returned no rows`, hint: expected })]);
  return { ok: true, targets: checked.targets };
}

function parseLine(line: string): RawTarget | { message: string; hint: string } {
  const [first, ...options] = line.split(/\s+/);
  const named = /^([^=:/]+)=(.*)$/.exec(first!);
  const raw: RawTarget = { name: named ? named[1] : undefined, url: named ? named[2]! : first! };
  if (!/^[a-z][a-z0-9+.-]*:/i.test(raw.url)) {
    return { message: `'${redactConnectionString(first!)}' is not a URL or name=URL`, hint: `${SYNTAX}; a name has no spaces` };
  }
  for (const option of options) {
    const pair = /^([a-z_]+)=(.*)$/.exec(option);
    if (pair?.[1] === 'schema') raw.schema = pair[2];
    else if (pair?.[1] === 'search_path') raw.searchPath = pair[2];
    else {
      const looksLikePassword = !pair;
      return {
        message: looksLikePassword
          ? `'${redactConnectionString(line)}' has text after the URL that is not schema=... or search_path=...`
          : `unknown option '${pair[1]}=' after the URL; a target takes schema= and search_path=`,
        hint: looksLikePassword ? `${SYNTAX}; a space in a password is written %20` : SYNTAX,
      };
    }
  }
  return raw;
}

function checkTargets(entries: ReadonlyArray<{ raw: RawTarget; origin: string; at: { file?: string; line?: number } }>): { targets: FleetTarget[]; problems: Problem[] } {
  const problems: Problem[] = [];
  const targets: FleetTarget[] = [];
  const seen = new Map<string, string>();
  for (const { raw, origin, at } of entries) {
    const bad = (message: string, hint: string) => problems.push(problem('ARGUMENT_INVALID', { ...at, message: at.file ? message : `${origin}: ${message}`, hint }));
    const urlProblem = connectionUrlProblem('the target URL', raw.url);
    if (urlProblem) {
      bad(urlProblem.message, `${urlProblem.hint}; ${SYNTAX}`);
      continue;
    }
    if (raw.name !== undefined && !NAME.test(raw.name)) {
      bad(`target name '${raw.name}' may only have letters, digits, '_', '.' and '-'`, `e.g. tenant_a=${redactConnectionString(raw.url)}`);
      continue;
    }
    if (raw.schema !== undefined && (!SCHEMA_NAME.test(raw.schema) || Buffer.byteLength(raw.schema) > 63)) {
      bad(`schema '${raw.schema}' is not a plain schema name (letters, digits, '_', at most 63 bytes)`, 'e.g. schema=strata_tenant_a');
      continue;
    }
    if (raw.searchPath !== undefined && !raw.searchPath.split(',').every((s) => SCHEMA_NAME.test(s) || s === '$user')) {
      bad(`search_path '${raw.searchPath}' is not a comma-separated list of plain schema names`, 'e.g. search_path=tenant_a,public (no spaces)');
      continue;
    }
    if (raw.searchPath !== undefined && /[?&]options=/.test(raw.url)) {
      bad('the target has search_path= and an options= parameter in its URL', 'give the search_path in one place: search_path=... or ?options=-csearch_path%3D... in the URL');
      continue;
    }
    // tenants of one database told apart by their tracking schema
    const name = raw.name ?? `${nameOfUrl(raw.url)}${raw.schema === undefined ? '' : `#${raw.schema}`}`;
    const earlier = seen.get(name);
    if (earlier !== undefined) {
      bad(`target '${name}' is listed twice (first at ${earlier})`, raw.name === undefined ? 'give each line a name: name=URL' : 'give each target a name of its own, or remove the repeated line');
      continue;
    }
    seen.set(name, origin);
    targets.push({ name, url: raw.url, schema: raw.schema, searchPath: raw.searchPath, origin });
  }
  return { targets, problems };
}

/** host:port/database of a URL: a name that shows no user or password. */
function nameOfUrl(url: string): string {
  const parsed = parseConnectionUrl(url);
  // no host written: the Unix socket folder (or host) of ?host=, as libpq reads it
  const host = connectionUrlHost(parsed) || (parsed.searchParams.get('host') ?? '');
  return `${host}${parsed.port ? `:${parsed.port}` : ''}${decodeURIComponent(parsed.pathname)}`;
}

function invalid(problems: Problem[]): TargetsResult {
  return { ok: false, reason: 'invalid', problems };
}
