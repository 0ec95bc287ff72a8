import { createHash, randomBytes } from 'node:crypto';
import { closeSync, existsSync, fstatSync, mkdirSync, openSync, readdirSync, readFileSync, readSync, renameSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import path from 'node:path';
import type { PgliteRuntime } from './pglite-runtime.js';

/**
 * A new embedded database is a copy of a pristine data directory that PGlite's initdb made once
 * (per PGlite version) and that is kept in the user's cache. initdb is most of the cost of a new
 * PGlite database (seconds, and 500-900 MB of memory); unpacking its result takes a fraction of a
 * second and a few MB.
 *
 * A cache entry is a folder of two files: `files.bin`, the data directory's ~970 files one after
 * the other (one file to write when the entry is made, one to read when it is used), and
 * `manifest.json`, every folder and file with its size and sha-256. It is written under a
 * temporary name and renamed into place, so two processes that make it at once both succeed (one
 * rename wins, the other uses the winner's), and a process killed half-way leaves no entry. Every
 * file is checked against the manifest while it is unpacked: a damaged or partial entry is set
 * aside and made again. When the cache cannot be written, the database is made in place without it.
 * The project's own folder is likewise assembled under a temporary name and renamed, so it is
 * either a whole database or absent.
 */

/** How the new database is made, for the one line that says so. */
export type CreationSource =
  /** copied from the cached template */
  | 'template'
  /** initdb, once for this PGlite version, into the cache, then copied */
  | 'new-template'
  /** the cached template turned out damaged or incomplete while copying it: made again (said in a second line) */
  | 'remade-template'
  /** initdb straight into the project: the cache cannot be written */
  | 'uncached';

export interface CreateOptions {
  /** where templates are kept; undefined = no cache */
  cacheDir: string | undefined;
  /** called before the work starts (and once more if the cached template turns out damaged) */
  onCreate(source: CreationSource, templateDir: string | undefined): void;
}

/** Bump when what goes into a template changes (initdb options, the layout): old entries are then left alone. */
const TEMPLATE_FORMAT = 1;
const MANIFEST = 'manifest.json';
const PACK = 'files.bin';
/** A half-written entry of a process that died is removed this long after it was started. */
const STALE_TEMP_MS = 10 * 60 * 1000;

interface Manifest {
  format: number;
  pglite: string;
  /** folders, parents first, relative to the data directory with '/' separators */
  dirs: string[];
  /** [path, size, sha-256 hex], in their order in files.bin */
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
    if (unpack(entry, runtime.version, staging)) return renameSync(staging, dataDir);
    setAside(entry);
    options.onCreate('remade-template', entry);
  } else if (entry && existsSync(entry)) {
    setAside(entry); // an entry is renamed into place with its manifest: one without is not whole
  }
  if (entry && canWrite(options.cacheDir!)) {
    announce('new-template');
    try {
      await ensureTemplate(entry, runtime);
      if (unpack(entry, runtime.version, staging)) return renameSync(staging, dataDir);
    } catch {
      // the cache failed us (full, removed meanwhile, ...): make the database in place as below
    }
  }
  announce('uncached');
  rmSync(staging, { recursive: true, force: true });
  await initdb(runtime, `${staging}.initdb`, (tree) => writeTree(tree, staging));
  renameSync(staging, dataDir);
}

/**
 * Makes the cache entry for this PGlite ahead of time (at install), so that no command ever pays
 * for initdb: 'ready' when one is there already, 'unwritable' when the cache cannot be written.
 */
export async function prepareTemplate(cacheDir: string, runtime: PgliteRuntime): Promise<'ready' | 'made' | 'unwritable'> {
  const entry = templateDirFor(cacheDir, runtime.version);
  if (existsSync(path.join(entry, MANIFEST))) return 'ready';
  if (existsSync(entry)) setAside(entry);
  if (!canWrite(cacheDir)) return 'unwritable';
  await ensureTemplate(entry, runtime);
  return 'made';
}

/** Makes the cache entry unless another process has (or does meanwhile). */
async function ensureTemplate(entry: string, runtime: PgliteRuntime): Promise<void> {
  const cacheDir = path.dirname(entry);
  removeStaleTemps(cacheDir);
  const temp = path.join(cacheDir, `.tmp-${path.basename(entry)}-${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    mkdirSync(temp);
    await initdb(runtime, path.join(temp, 'initdb'), (tree) => pack(tree, temp, runtime.version));
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

/** A data directory to copy: its folders and files, parents first, with '/'-separated relative paths. */
interface Tree {
  walk(visit: (relative: string, kind: 'dir' | 'file', read: () => Uint8Array) => void): void;
}

/**
 * Runs PGlite's initdb and hands `use` the data directory it made. The fast way is an in-memory
 * PGlite (initdb onto the real file system is slower: PGlite dumps a tarball and unpacks it file
 * by file through WASM), read after a clean shutdown (no recovery on the first open). If this
 * PGlite does not expose its in-memory file system as 0.5.x does, its documented dump is loaded
 * into `scratch` and read from there.
 */
async function initdb(runtime: PgliteRuntime, scratch: string, use: (tree: Tree) => void): Promise<void> {
  const options = await runtime.creationOptions();
  const { PGlite } = runtime;
  const db = await PGlite.create(options);
  const fs = db.Module.FS as unknown as Partial<EmscriptenFs> | undefined;
  if (isEmscriptenFs(fs)) {
    await db.close();
    if (!existsIn(fs, `${PGlite.paths.PGDATA}/PG_VERSION`)) throw new Error("PGlite's initdb left no database in memory");
    return use(memoryTree(fs, PGlite.paths.PGDATA));
  }
  const dump = await db.dumpDataDir('none');
  await db.close();
  rmSync(scratch, { recursive: true, force: true });
  mkdirSync(path.dirname(scratch), { recursive: true });
  const loaded = await PGlite.create(scratch, { ...options, loadDataDir: dump });
  await loaded.close(); // a clean shutdown of what was dumped from a running database
  try {
    if (!hasDatabase(scratch)) throw new Error(`PGlite's initdb left no database in ${scratch}`);
    use(diskTree(scratch));
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

/** The little of Emscripten's FS that is read here. */
interface EmscriptenFs {
  readdir(path: string): string[];
  stat(path: string): { mode: number };
  isDir(mode: number): boolean;
  isFile(mode: number): boolean;
  readFile(path: string): Uint8Array;
  analyzePath(path: string): { exists: boolean };
}

function isEmscriptenFs(fs: Partial<EmscriptenFs> | undefined): fs is EmscriptenFs {
  return !!fs && (['readdir', 'stat', 'isDir', 'isFile', 'readFile', 'analyzePath'] as const).every((name) => typeof fs[name] === 'function');
}

function existsIn(fs: EmscriptenFs, file: string): boolean {
  try {
    return fs.analyzePath(file).exists;
  } catch {
    return false;
  }
}

function memoryTree(fs: EmscriptenFs, root: string): Tree {
  return {
    walk(visit) {
      const walk = (relative: string) => {
        for (const name of fs.readdir(relative === '' ? root : `${root}/${relative}`)) {
          if (name === '.' || name === '..') continue;
          const child = relative === '' ? name : `${relative}/${name}`;
          const { mode } = fs.stat(`${root}/${child}`);
          if (fs.isDir(mode)) {
            visit(child, 'dir', () => new Uint8Array());
            walk(child);
          } else if (fs.isFile(mode)) {
            visit(child, 'file', () => fs.readFile(`${root}/${child}`));
          }
        }
      };
      walk('');
    },
  };
}

function diskTree(root: string): Tree {
  return {
    walk(visit) {
      const walk = (relative: string) => {
        for (const entry of readdirSync(path.join(root, relative), { withFileTypes: true })) {
          const child = relative === '' ? entry.name : `${relative}/${entry.name}`;
          if (entry.isDirectory()) {
            visit(child, 'dir', () => new Uint8Array());
            walk(child);
          } else if (entry.isFile()) {
            visit(child, 'file', () => readFileSync(path.join(root, child)));
          }
        }
      };
      walk('');
    },
  };
}

function writeTree(tree: Tree, target: string): void {
  mkdirSync(target, { mode: 0o700 });
  tree.walk((relative, kind, read) => {
    if (kind === 'dir') mkdirSync(path.join(target, relative), { mode: 0o700 });
    else writeFileSync(path.join(target, relative), read(), { mode: 0o600 });
  });
}

/** files.bin and manifest.json into `entry` (manifest last) */
function pack(tree: Tree, entry: string, pgliteVersion: string): void {
  const manifest: Manifest = { format: TEMPLATE_FORMAT, pglite: pgliteVersion, dirs: [], files: [] };
  const fd = openSync(path.join(entry, PACK), 'w');
  try {
    tree.walk((relative, kind, read) => {
      if (kind === 'dir') return void manifest.dirs.push(relative);
      const bytes = read();
      for (let written = 0; written < bytes.length;) written += writeSync(fd, bytes, written);
      manifest.files.push([relative, bytes.length, sha256(bytes)]);
    });
  } finally {
    closeSync(fd);
  }
  writeFileSync(path.join(entry, MANIFEST), JSON.stringify(manifest));
}

/** Unpacks the entry into a new folder `target`, checking each file; false (and nothing at `target`) if the entry is not whole. */
function unpack(entry: string, pgliteVersion: string, target: string): boolean {
  rmSync(target, { recursive: true, force: true });
  let fd: number | undefined;
  try {
    const manifest = readManifest(entry, pgliteVersion);
    try {
      fd = openSync(path.join(entry, PACK), 'r');
    } catch {
      throw new TemplateInvalid(`no ${PACK}`);
    }
    const total = manifest.files.reduce((sum, [, size]) => sum + size, 0);
    if (fstatSync(fd).size !== total) throw new TemplateInvalid(`${PACK} is not the size the manifest says`);
    mkdirSync(target, { mode: 0o700 });
    for (const dir of manifest.dirs) mkdirSync(path.join(target, dir), { mode: 0o700 });
    const buffer = Buffer.allocUnsafe(Math.max(1, ...manifest.files.map(([, size]) => size)));
    let offset = 0;
    for (const [file, size, digest] of manifest.files) {
      for (let read = 0; read < size;) {
        const n = readSync(fd, buffer, read, size - read, offset + read);
        if (n === 0) throw new TemplateInvalid(`${PACK} ends early`);
        read += n;
      }
      const bytes = buffer.subarray(0, size);
      if (sha256(bytes) !== digest) throw new TemplateInvalid(`${file} differs from the manifest`);
      writeFileSync(path.join(target, file), bytes, { mode: 0o600 });
      offset += size;
    }
    if (!hasDatabase(target)) throw new TemplateInvalid('no PG_VERSION');
    return true;
  } catch (error) {
    rmSync(target, { recursive: true, force: true });
    if (error instanceof TemplateInvalid) return false;
    throw error;
  } finally {
    if (fd !== undefined) closeSync(fd);
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
    && manifest.files.every((f) => Array.isArray(f) && isRelative(f[0]) && Number.isInteger(f[1]) && f[1] >= 0 && typeof f[2] === 'string');
  if (!isValid) throw new TemplateInvalid('malformed manifest');
  return manifest;
}

/** A damaged entry is renamed out of the way first (a process reading it meanwhile then finds it gone and makes its own). */
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
