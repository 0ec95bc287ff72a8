import { createRequire } from 'node:module';

// node:crypto is loaded when something is hashed, not when strata starts: a command whose
// revisions all come from the revision cache hashes nothing
const requireBuiltin = createRequire(import.meta.url);
let crypto: typeof import('node:crypto') | undefined;

/**
 * Checksums of revision bodies (the text after the header), and the one comparison of a file on
 * disk with the checksum a tracking row recorded. Status, up, down (disk or stored down.sql), redo,
 * dev, stamp and `strata sql` all decide "unchanged or edited" with `matchesRecorded`.
 *
 * The algorithm is named by the recorded value itself, so that databases written by earlier
 * releases keep working with no migration of the tracking schema and no manual step:
 * - `v2:<64 hex>`, written since v2 checksums exist: sha-256 of the body with CRLF and lone CR
 *   made LF and the whitespace at the end of the file removed. A Windows checkout
 *   (`core.autocrlf`) or an editor that adds or drops blank lines at the end leaves it unchanged.
 * - `<64 hex>`, no prefix (legacy, written by earlier releases): sha-256 of the body with CRLF and
 *   lone CR made LF, whitespace at the end included. A legacy row is compared by recomputing the
 *   legacy algorithm: from the file as it is, and from the file with its end-of-file whitespace
 *   cut to nothing or to one LF (what nearly every file ended with when it was applied), so that
 *   trailing blank lines do not turn a legacy row "edited" either.
 * Rows are never rewritten: a legacy row stays legacy until its revision is reverted and applied
 * again, when the new row gets a v2 checksum.
 *
 * Normalising is for hashing only. The SQL sent to the server is the body as the file has it.
 */
const V2_PREFIX = 'v2:';

/** The checksum recorded for a body applied now. */
export function bodyChecksum(body: string): string {
  return V2_PREFIX + sha256(normaliseForChecksum(body));
}

/** What v2 hashes: line endings LF, no whitespace at the end of the file. */
export function normaliseForChecksum(body: string): string {
  return trimEndOfFile(toLf(body));
}

/** True when `file`'s body is the body whose checksum a tracking row recorded as `recorded`. */
export function matchesRecorded(file: { body: string; checksum: string }, recorded: string): boolean {
  if (recorded.startsWith(V2_PREFIX)) return file.checksum === recorded;
  return legacyChecksums(file).some((candidate) => candidate() === recorded);
}

/** The checksum earlier releases recorded: sha-256 of the body with LF line endings. */
export function legacyChecksum(body: string): string {
  return sha256(toLf(body));
}

const legacyCache = new WeakMap<object, Map<string, string>>();

/** The legacy checksums `file` could have been applied with, each computed (once) only when asked for. */
function legacyChecksums(file: { body: string }): Array<() => string> {
  let cache = legacyCache.get(file);
  if (!cache) legacyCache.set(file, (cache = new Map()));
  const memo = (key: string, text: () => string) => () => {
    let sum = cache!.get(key);
    if (sum === undefined) cache!.set(key, (sum = sha256(text())));
    return sum;
  };
  return [
    memo('as-is', () => toLf(file.body)),
    memo('one-lf', () => `${normaliseForChecksum(file.body)}\n`),
    memo('trimmed', () => normaliseForChecksum(file.body)),
  ];
}

export function sha256(text: string, encoding: 'hex' | 'base64' = 'hex'): string {
  crypto ??= requireBuiltin('node:crypto') as typeof import('node:crypto');
  return crypto.createHash('sha256').update(text).digest(encoding);
}

/** CRLF and a lone CR made LF: what a checkout with core.autocrlf changes in a text file. */
export function toLf(text: string): string {
  return text.includes('\r') ? text.replace(/\r\n?/g, '\n') : text;
}

/** Without the whitespace (PostgreSQL's: space, tab, LF, VT, FF, CR) at the end. */
function trimEndOfFile(text: string): string {
  let end = text.length;
  while (end > 0) {
    const c = text.charCodeAt(end - 1);
    if (c !== 0x20 && (c < 0x09 || c > 0x0d)) break;
    end -= 1;
  }
  return end === text.length ? text : text.slice(0, end);
}
