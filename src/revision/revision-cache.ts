import fs from 'node:fs';
import path from 'node:path';
import { writeCacheFile } from './cache-file.js';
import type { LintAllow } from './parse-header.js';

/**
 * What reading a revision folder found, kept between runs so that a command does not read,
 * decode, parse and hash 2000 files that have not changed: per folder, the stat of up.sql and
 * down.sql (inode, size, modification and change time) and what their headers say, with the
 * checksums of their bodies. It is what git's index is to a work tree.
 *
 * An entry is used only when both files' stats are what it recorded and it is not "racy": the
 * files were last changed (mtime and ctime) more than TIMESTAMP_SLACK_MS before the run that
 * hashed them began reading. A file changed again later, even with the same size and a forged
 * mtime, then has another ctime, so an edit is never missed. (git compares with the time the
 * index was written; comparing with the time reading began is stricter: it also covers an edit
 * made between the read and the write.) The slack covers the coarsest file-system timestamps
 * (FAT: 2 s) and the coarse clock the kernel stamps files with.
 *
 * The file is two lines of JSON under the user's cache folder (config.cacheDir: the embedded
 * database's template lives there too), named after the migrations folder's real path, written
 * to a temporary file and renamed, with a version key and a digest of its entries: one that does
 * not parse, is of another version, or whose digest is wrong is ignored and written again. A
 * folder that cannot be written means no cache, nothing else.
 */

/** Bump when what an entry holds, the header parser or the checksum normalisation (checksums.ts) changes. */
export const REVISION_CACHE_VERSION = 'strata-revision-cache-1;checksum=v2;header=2';

const TIMESTAMP_SLACK_MS = 2000;

/** The stat of a file, as an entry records it. */
export interface FileStamp {
  ino: number;
  size: number;
  mtimeMs: number;
  ctimeMs: number;
}

export interface CachedUp {
  stamp: FileStamp;
  parent: string;
  message: string | undefined;
  tags: string[];
  replaces: string[];
  transactional: boolean;
  bodyOffset: number;
  checksum: string;
  /** the header's Lint-allow lines: lint reads them from here when the file is not read */
  lintAllows: LintAllow[];
}

export interface CachedDown {
  stamp: FileStamp;
  transactional: boolean;
  irreversible: string | undefined;
  bodyOffset: number;
  checksum: string;
  lintAllows: LintAllow[];
}

export interface FolderEntry {
  /** Date.now() when the run that hashed the files began reading the folder */
  hashedAtMs: number;
  up: CachedUp;
  down: CachedDown;
}

export interface RevisionCache {
  /** the entry of `folder` when both stats are as recorded and it is not racy; else undefined */
  lookup(folder: string, up: FileStamp, down: FileStamp): FolderEntry | undefined;
  /** what this run found for `folder` (an entry looked up, or a new one); folders not remembered are dropped */
  remember(folder: string, entry: FolderEntry): void;
  /** writes the file when this run's entries differ from those read; never throws */
  save(): void;
}

/** No cache at all (no cache folder, a file system handed in by a test or the dev loop). */
export const noRevisionCache: RevisionCache = { lookup: () => undefined, remember: () => {}, save: () => {} };

export function stampOf(stat: { ino?: number; size: number; mtimeMs?: number; ctimeMs?: number }): FileStamp | undefined {
  const { ino, size, mtimeMs, ctimeMs } = stat;
  return ino === undefined || mtimeMs === undefined || ctimeMs === undefined ? undefined : { ino, size, mtimeMs, ctimeMs };
}

/** The cache of the migrations folder `dir` in `cacheDir` (undefined: none). Reads it now; `startedAtMs` is when reading the folder began. */
export function openRevisionCache(cacheDir: string | undefined, dir: string, startedAtMs = Date.now()): RevisionCache {
  if (cacheDir === undefined) return noRevisionCache;
  let realDir: string;
  try {
    realDir = fs.realpathSync(dir);
  } catch {
    return noRevisionCache;
  }
  const file = path.join(cacheDir, 'revisions', `${fnv1a(realDir).toString(16).padStart(8, '0')}.json`);
  const loaded = readCacheFile(file, realDir);
  const current = new Map<string, FolderEntry>();
  let isChanged = false;
  return {
    lookup(folder, up, down) {
      const entry = loaded.get(folder);
      if (!entry || !sameStamp(entry.up.stamp, up) || !sameStamp(entry.down.stamp, down)) return undefined;
      const lastChange = Math.max(up.mtimeMs, up.ctimeMs, down.mtimeMs, down.ctimeMs);
      return lastChange < entry.hashedAtMs - TIMESTAMP_SLACK_MS ? entry : undefined;
    },
    remember(folder, entry) {
      const isKnown = loaded.get(folder) === entry;
      if (!isKnown) isChanged = true;
      current.set(folder, isKnown ? entry : { ...entry, hashedAtMs: startedAtMs });
    },
    save() {
      if (!isChanged && current.size === loaded.size) return;
      writeEntries(file, realDir, current);
    },
  };
}

function sameStamp(a: FileStamp, b: FileStamp): boolean {
  return a.ino === b.ino && a.size === b.size && a.mtimeMs === b.mtimeMs && a.ctimeMs === b.ctimeMs;
}

/** The file's first line; the second is the entries, `{ folder: FolderEntry }`. */
interface CacheHeader {
  version: string;
  dir: string;
  /** fnv1a of the second line as written: a file damaged in a way JSON still parses is not trusted */
  digest: number;
}

function readCacheFile(file: string, realDir: string): Map<string, FolderEntry> {
  const entries = new Map<string, FolderEntry>();
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return entries;
  }
  // line 1: the version, the folder and the digest of line 2, the entries (hashed as written, not parsed and written again)
  const newline = text.indexOf('\n');
  let header: Partial<CacheHeader>;
  let document: unknown;
  try {
    header = JSON.parse(text.slice(0, newline)) as Partial<CacheHeader>;
    if (typeof header !== 'object' || header === null || header.version !== REVISION_CACHE_VERSION || header.dir !== realDir) return entries;
    const body = text.slice(newline + 1).trimEnd();
    if (header.digest !== fnv1a(body)) return entries;
    document = JSON.parse(body);
  } catch {
    return entries;
  }
  if (typeof document !== 'object' || document === null) return entries;
  for (const [folder, entry] of Object.entries(document as Record<string, unknown>)) {
    if (isFolderEntry(entry)) entries.set(folder, entry);
  }
  return entries;
}

function writeEntries(file: string, realDir: string, current: Map<string, FolderEntry>): void {
  const entries = Object.fromEntries([...current].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  const json = JSON.stringify(entries);
  const header: CacheHeader = { version: REVISION_CACHE_VERSION, dir: realDir, digest: fnv1a(json) };
  writeCacheFile(file, `${JSON.stringify(header)}\n${json}\n`);
}

const isString = (v: unknown): v is string => typeof v === 'string';
const isNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const isStrings = (v: unknown): v is string[] => Array.isArray(v) && v.every(isString);
const isOptionalString = (v: unknown) => v === undefined || isString(v);

function isStamp(v: unknown): v is FileStamp {
  const s = v as FileStamp | undefined;
  return typeof s === 'object' && s !== null && isNumber(s.ino) && isNumber(s.size) && isNumber(s.mtimeMs) && isNumber(s.ctimeMs);
}

function isLintAllows(v: unknown): v is LintAllow[] {
  return Array.isArray(v) && v.every((a: Partial<LintAllow> | null) => typeof a === 'object' && a !== null && isString(a.rule) && isString(a.reason) && isNumber(a.line));
}

function isFolderEntry(v: unknown): v is FolderEntry {
  const e = v as FolderEntry | undefined;
  if (typeof e !== 'object' || e === null || !isNumber(e.hashedAtMs)) return false;
  const { up, down } = e;
  return typeof up === 'object' && up !== null && isStamp(up.stamp) && isString(up.parent) && isOptionalString(up.message)
    && isStrings(up.tags) && isStrings(up.replaces) && typeof up.transactional === 'boolean' && isNumber(up.bodyOffset) && isString(up.checksum) && isLintAllows(up.lintAllows)
    && typeof down === 'object' && down !== null && isStamp(down.stamp) && typeof down.transactional === 'boolean'
    && isOptionalString(down.irreversible) && isNumber(down.bodyOffset) && isString(down.checksum) && isLintAllows(down.lintAllows);
}

/** 32-bit FNV-1a of a string's UTF-16 units: a cheap digest (no crypto module to load), for damage, not for attacks. */
export function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}
