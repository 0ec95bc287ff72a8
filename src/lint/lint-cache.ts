/**
 * What linting a file found (FileLint, lint-files.ts), kept in the parse cache's entry for its body
 * (revision/parse-cache.ts), so that linting a file an earlier run linted needs no syntax tree and
 * so no parser: `up` of a history it has seen before lints it from the cache.
 *
 * The entry's key within the body's is everything else the rules' findings depend on: the rules
 * themselves (LINT_VERSION), the file's role, its Transaction mode, the options, and for down.sql
 * the body of the same revision's up.sql (what it owns). The header (Lint-allow, line numbers) is
 * read at each run (finishFile). The one state carried across files, the NOT NULL checks, is kept
 * as the facts the file added and the answers it was given (not-null-checks.ts): a cached file
 * whose answers would differ now is linted again.
 */
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { sha256 } from '../revision/checksums.js';
import type { FileLint, LintOptions } from './lint-files.js';
import { isNotNullFact } from './not-null-checks.js';
import { LINT_RULES } from './rules.js';

/** Bump when what FileLint holds changes. */
const LINT_CACHE_FORMAT = 'strata-lint-cache-1';

let version: string | undefined;

/**
 * The rules' version: the file this code was loaded from (the bundle, or under tsc this module),
 * by its size and modification time, which every build writes anew, and the rules' own code.
 */
function lintVersion(): string {
  if (version !== undefined) return version;
  let stamp = '';
  try {
    const stat = fs.statSync(fileURLToPath(import.meta.url));
    stamp = `${stat.size}:${stat.mtimeMs}`;
  } catch {
    // no file to stat: the rules' code alone
  }
  const rules = LINT_RULES.map((r) => `${r.id}:${r.severity}:${r.oncePerFile === true}:${String(r.check)}`).join('\n');
  return (version = sha256(`${LINT_CACHE_FORMAT}\n${import.meta.url}\n${stamp}\n${rules}`, 'base64').slice(0, 22));
}

/** The key of a file's lint within its body's parse-cache entry. */
export function lintContext(role: 'up' | 'down', transactional: boolean, options: LintOptions, upBody?: string): string {
  const owner = role === 'down' && upBody !== undefined ? sha256(upBody, 'base64') : '';
  return `${lintVersion()};${role};${transactional ? 't' : 'n'};${options.lockTimeoutConfigured === true ? 'l' : ''};${owner}`;
}

/** A FileLint as read back from the cache file (anything else is linted again). */
export function isFileLint(v: unknown): v is FileLint {
  const f = v as FileLint | undefined;
  return typeof f === 'object' && f !== null
    && Array.isArray(f.hits) && f.hits.every((h) => typeof h === 'object' && h !== null && typeof h.rule === 'string' && typeof h.index === 'number' && typeof h.message === 'string' && (h.commentAllowed === undefined || h.commentAllowed === true))
    && Array.isArray(f.unknownAllows) && f.unknownAllows.every((u) => typeof u === 'object' && u !== null && typeof u.rule === 'string' && typeof u.index === 'number')
    && Array.isArray(f.notNull) && f.notNull.every(isNotNullFact);
}
