import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { PgliteRuntime } from './pglite-runtime.js';

/**
 * A new embedded database is a copy of a pristine data directory that PGlite's initdb made once
 * (per PGlite version) and that is kept in the user's cache. initdb is most of the cost of a new
 * PGlite database (several seconds and ~500-850 MB of memory); copying its result takes a fraction
 * of a second and a few MB.
 *
 * The cache entry is written under a temporary name and renamed into place, so two processes
 * that create it at once both succeed (one rename wins, the other uses the winner's), and a
 * process killed half-way leaves no entry. Every file is checked against the entry's manifest
 * (size and sha-256) while it is copied: an entry that was damaged or tampered with is set aside
 * and made again. When the cache cannot be written, the database is made in place without it.
 * The project's own folder is likewise assembled under a temporary name and renamed, so it is
 * either a whole database or absent.
 */

/** How the new database is made, for the one line that says so. */
export type CreationSource =
  /** copied from the cached template */
  | 'template'
  /** initdb, once for this PGlite version, into the cache, then copied */
  | 'new-template'
  /** initdb straight into the project: the cache cannot be written */
  | 'uncached';

export interface CreateOptions {
  /** where templates are kept; undefined = no cache */
  cacheDir: string | undefined;
  /** called once, before the work starts */
  onCreate(source: CreationSource, templateDir: string | undefined): void;
}

/** Bump when what goes into a template changes (initdb options, the manifest): old entries are then left alone. */
const TEMPLATE_FORMAT = 1;
const MANIFEST = 'manifest.json';
/** A half-written entry of a process that died is removed this long after it was started. */
const STALE_TEMP_MS = 10 * 60 * 1000;

interface Manifest {
  format: number;
  pglite: string;
  /** folders, parents first, relative to the data directory with '/' separators */
  dirs: string[];
  /** [path, size, sha-256 hex] */
  files: [string, number, string][];
}

class TemplateInvalid extends Error {}

export function templateDirFor(cacheDir: string, pgliteVersion: string): string {
  return path.join(cacheDir, `pglite-${pgliteVersion}-template-${TEMPLATE_FORMAT}`);
}

/** Whether `dataDir` holds a database (initdb writes PG_VERSION; strata renames a folder into place only when it is whole). */
export function hasDatabase(dataDir: string): boolean {
  return existsSync(path.join(dataDir, 'PG_VERSION'));
}

/**
 * Makes the PostgreSQL data directory `dataDir` (which must not hold a database yet). The caller
 * holds the embedded lock, so no other strata process works on this folder meanwhile.
 */
export async function createDataDir(dataDir: string, runtime: PgliteRuntime, options: CreateOptions): Promise<void> {
  if (hasDatabase(dataDir)) throw new Error(`${dataDir} already holds a database`);
  const parent = path.dirname(dataDir);
  mkdirSync(parent, { recursive: true });
  // an empty folder, or one a process killed during a creation by an older strata left without PG_VERSION: no database to keep
  rmSync(dataDir, { recursive: true, force: true });
  for (const name of readdirSync(parent)) {
    if (name.startsWith(`${path.basename(dataDir)}.creating-`)) rmSync(path.join(parent, name), { recursive: true, force: true });
  }
  const staging = `${dataDir}.creating-${process.pid}`;

  const entry = options.cacheDir === undefined ? undefined : templateDirFor(options.cacheDir, runtime.version);
  let isAnnounced = false;
  const announce = (source: CreationSource) => {
    if (!isAnnounced) options.onCreate(source, entry);
    isAnnounced = true;
  };

  if (entry && existsSync(path.join(entry, MANIFEST))) {
    announce('template');
    if (copyTemplate(entry, runtime.version, staging)) return renameSync(staging, dataDir);
    setAside(entry);
  } else if (entry && existsSync(entry)) {
    setAside(entry); // an entry is renamed into place with its manifest: one without is not strata's
  }
  if (entry && canWrite(options.cacheDir!)) {
    announce('new-template');
    try {
      await ensureTemplate(entry, runtime);
      if (copyTemplate(entry, runtime.version, staging)) return renameSync(staging, dataDir);
    } catch {
      // the cache failed us (full, removed meanwhile, ...): make the database in place as below
    }
  }
  announce('uncached');
  rmSync(staging, { recursive: true, force: true });
  await initdbInto(staging, runtime);
  renameSync(staging, dataDir);
}

/** Makes the cache entry unless another process has (or does meanwhile). */
async function ensureTemplate(entry: string, runtime: PgliteRuntime): Promise<void> {
  const cacheDir = path.dirname(entry);
  removeStaleTemps(cacheDir);
  const temp = path.join(cacheDir, `.tmp-${path.basename(entry)}-${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    const dataDir = path.join(temp, 'data');
    const files = await initdbInto(dataDir, runtime);
    writeFileSync(path.join(temp, MANIFEST), JSON.stringify({ format: TEMPLATE_FORMAT, pglite: runtime.version, ...files } satisfies Manifest));
    try {
      renameSync(temp, entry);
    } catch (error) {
      // another process renamed its entry into place first: use that one
      if (!existsSync(path.join(entry, MANIFEST))) throw error;
    }
  } finally {
    rmSync(temp, { recursive: true, force: true });
  }
}

/**
 * initdb into `target` through an in-memory PGlite (much faster than initdb onto the real file
 * system, which PGlite does by dumping a tarball and unpacking it file by file through WASM), then
 * the files written out after a clean shutdown. If this PGlite does not expose its in-memory file
 * system as 0.5.x does, its documented dump (a tarball) is loaded into `target` instead, which is
 * slower. Returns what was written, for a manifest.
 */
async function initdbInto(target: string, runtime: PgliteRuntime): Promise<TreeListing> {
  const options = await runtime.creationOptions();
  const { PGlite } = runtime;
  const db = await PGlite.create(options);
  const fs = db.Module.FS as unknown as Partial<EmscriptenTree> | undefined;
  const listing: TreeListing = { dirs: [], files: [] };
  if (isEmscriptenTree(fs)) {
    // close first: PostgreSQL shuts down cleanly (a checkpoint, no recovery on the first open)
    await db.close();
    if (!existsIn(fs, `${PGlite.paths.PGDATA}/PG_VERSION`)) throw new Error('PGlite\'s initdb left no database in memory');
    writeTree(fs, PGlite.paths.PGDATA, target, '', listing);
  } else {
    const dump = await db.dumpDataDir('none');
    await db.close();
    rmSync(target, { recursive: true, force: true });
    mkdirSync(path.dirname(target), { recursive: true });
    const loaded = await PGlite.create(target, { ...options, loadDataDir: dump });
    await loaded.close(); // a clean shutdown of what was dumped from a running database
    listTree(target, '', listing);
  }
  if (!hasDatabase(target)) throw new Error(`PGlite's initdb left no database in ${target}`);
  return listing;
}

/** The little of Emscripten's FS that is read here. */
interface EmscriptenTree {
  readdir(path: string): string[];
  stat(path: string): { mode: number };
  isDir(mode: number): boolean;
  isFile(mode: number): boolean;
  readFile(path: string): Uint8Array;
  analyzePath(path: string): { exists: boolean };
}

function isEmscriptenTree(fs: Partial<EmscriptenTree> | undefined): fs is EmscriptenTree {
  return !!fs && (['readdir', 'stat', 'isDir', 'isFile', 'readFile', 'analyzePath'] as const).every((name) => typeof fs[name] === 'function');
}

function existsIn(fs: EmscriptenTree, file: string): boolean {
  try {
    return fs.analyzePath(file).exists;
  } catch {
    return false;
  }
}

type TreeListing = Pick<Manifest, 'dirs' | 'files'>;

/** Writes the in-memory folder `from` (and below) to `root`/`relative`, listing what it wrote. */
function writeTree(fs: EmscriptenTree, from: string, root: string, relative: string, listing: TreeListing): void {
  mkdirSync(path.join(root, relative), { recursive: true, mode: 0o700 });
  for (const name of fs.readdir(from)) {
    if (name === '.' || name === '..') continue;
    const source = `${from}/${name}`;
    const child = relative === '' ? name : `${relative}/${name}`;
    const { mode } = fs.stat(source);
    if (fs.isDir(mode)) {
      listing.dirs.push(child);
      writeTree(fs, source, root, child, listing);
    } else if (fs.isFile(mode)) {
      const bytes = fs.readFile(source);
      writeFileSync(path.join(root, child), bytes, { mode: 0o600 });
      listing.files.push([child, bytes.length, sha256(bytes)]);
    }
  }
}

function listTree(root: string, relative: string, listing: TreeListing): void {
  for (const entry of readdirSync(path.join(root, relative), { withFileTypes: true })) {
    const child = relative === '' ? entry.name : `${relative}/${entry.name}`;
    if (entry.isDirectory()) {
      listing.dirs.push(child);
      listTree(root, child, listing);
    } else {
      const bytes = readFileSync(path.join(root, child));
      listing.files.push([child, bytes.length, sha256(bytes)]);
    }
  }
}

/** Copies the entry's data directory to `target`, checking each file; false (and nothing at `target`) if the entry is not whole. */
function copyTemplate(entry: string, pgliteVersion: string, target: string): boolean {
  rmSync(target, { recursive: true, force: true });
  try {
    const manifest = readManifest(entry, pgliteVersion);
    const source = path.join(entry, 'data');
    mkdirSync(target, { mode: 0o700 });
    for (const dir of manifest.dirs) mkdirSync(path.join(target, dir), { mode: 0o700 });
    for (const [file, size, digest] of manifest.files) {
      let bytes: Buffer;
      try {
        bytes = readFileSync(path.join(source, file));
      } catch {
        throw new TemplateInvalid(`${file} is missing`);
      }
      if (bytes.length !== size || sha256(bytes) !== digest) throw new TemplateInvalid(`${file} differs from the manifest`);
      writeFileSync(path.join(target, file), bytes, { mode: 0o600 });
    }
    if (!hasDatabase(target)) throw new TemplateInvalid('no PG_VERSION');
    return true;
  } catch (error) {
    rmSync(target, { recursive: true, force: true });
    if (error instanceof TemplateInvalid) return false;
    throw error;
  }
}

function readManifest(entry: string, pgliteVersion: string): Manifest {
  let manifest: Manifest;
  try {
    manifest = JSON.parse(readFileSync(path.join(entry, MANIFEST), 'utf8')) as Manifest;
  } catch {
    throw new TemplateInvalid('unreadable manifest');
  }
  const isRelative = (p: unknown) => typeof p === 'string' && p !== '' && !path.isAbsolute(p) && !p.split('/').includes('..');
  const isValid = manifest?.format === TEMPLATE_FORMAT && manifest.pglite === pgliteVersion
    && Array.isArray(manifest.dirs) && manifest.dirs.every(isRelative)
    && Array.isArray(manifest.files) && manifest.files.length > 0
    && manifest.files.every((f) => Array.isArray(f) && isRelative(f[0]) && Number.isInteger(f[1]) && typeof f[2] === 'string');
  if (!isValid) throw new TemplateInvalid('malformed manifest');
  return manifest;
}

/** A damaged entry is renamed out of the way first (a process copying from it meanwhile then finds it gone and makes its own). */
function setAside(entry: string): void {
  const aside = path.join(path.dirname(entry), `.tmp-damaged-${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    renameSync(entry, aside);
  } catch {
    return;
  }
  rmSync(aside, { recursive: true, force: true });
}

function removeStaleTemps(cacheDir: string): void {
  for (const name of readdirSync(cacheDir)) {
    if (!name.startsWith('.tmp-')) continue;
    const full = path.join(cacheDir, name);
    try {
      if (Date.now() - statSync(full).mtimeMs > STALE_TEMP_MS) rmSync(full, { recursive: true, force: true });
    } catch {
      // gone meanwhile
    }
  }
}

function canWrite(dir: string): boolean {
  try {
    mkdirSync(dir, { recursive: true });
    const probe = path.join(dir, `.tmp-probe-${process.pid}-${randomBytes(4).toString('hex')}`);
    writeFileSync(probe, '');
    rmSync(probe);
    return true;
  } catch {
    return false;
  }
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}
