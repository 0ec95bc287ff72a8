import fs from 'node:fs';
import path from 'node:path';
import type { StrataConfig } from '../config.js';
import { revisionsOfTree } from '../revision/load-revisions.js';
import type { RevisionSet } from '../revision/build-revisions.js';
import { nodeFileSystem, readMigrationTree, type TreeEntry, type TreeFileSystem } from '../revision/read-migration-tree.js';

export interface FileStamp {
  /** modification time, change time, size and inode: a file whose stamp is unchanged is not read again */
  key: string;
  mtimeMs: number;
  bytes: Uint8Array;
  lstat: fs.Stats;
  stat: fs.Stats;
  /** the revision folder's name */
  folder: string;
}

/** One reading of the migrations folder: the revisions, with each file's bytes and modification time, to tell what a save changed. */
export interface FolderReading {
  set: RevisionSet;
  files: Map<string, FileStamp>;
  /** the revision folders listed, with or without files in them */
  folderIds: Set<string>;
  /** what was read of each folder, by name, with its files' stamps: handed back as it is for a folder no event named */
  entries: Map<string, { entry: TreeEntry; files: Array<[string, FileStamp]> }>;
  /** the migrations folder */
  dir: string;
}

/**
 * Reads the migrations folder, re-using what `previous` read where it can:
 * - 'trust-events' (a save): only the folder listing and the folders the watcher named since then
 *   (`touchedFolders`) touch the disk; an untouched folder's entry is the one read before, not
 *   even looked at file by file, so hundreds of untouched revisions cost next to nothing.
 * - 'verify' (when idle): every file is stat'ed and read again if its stamp changed, so a change
 *   the watcher missed (an overflowing event queue) is still found.
 */
export function readFolder(config: StrataConfig, previous: FolderReading | undefined, touchedFolders: ReadonlySet<string>, mode: 'trust-events' | 'verify'): FolderReading {
  const files = new Map<string, FileStamp>();
  const fresh = new Map<string, Partial<FileStamp>>();
  const reusable = (file: string) => {
    if (mode !== 'trust-events') return undefined;
    const cached = previous?.files.get(file);
    return cached && !touchedFolders.has(cached.folder) ? cached : undefined;
  };
  const folderIds = new Set<string>();
  const fileSystem: TreeFileSystem = {
    ...nodeFileSystem,
    readdir(dir) {
      const entries = nodeFileSystem.readdir(dir);
      for (const entry of entries) if (entry.isDirectory() && !entry.name.startsWith('.')) folderIds.add(entry.name);
      return entries;
    },
    lstat(file) {
      const cached = reusable(file);
      if (cached) return cached.lstat;
      const lstat = fs.lstatSync(file);
      // not a link: lstat is the stat (the reader does not stat again), and it keys the change check
      const stat = lstat.isSymbolicLink() ? {} : { stat: lstat, key: statKey(lstat), mtimeMs: lstat.mtimeMs };
      fresh.set(file, { ...fresh.get(file), lstat, ...stat });
      return lstat;
    },
    stat(file) {
      const cached = reusable(file);
      if (cached) return cached.stat;
      const stat = fs.statSync(file);
      fresh.set(file, { ...fresh.get(file), stat, key: statKey(stat), mtimeMs: stat.mtimeMs });
      return stat;
    },
    readFile(file) {
      const cached = reusable(file);
      if (cached) {
        files.set(file, cached);
        return cached.bytes;
      }
      const read = fresh.get(file) ?? {};
      const old = previous?.files.get(file);
      const isUnchanged = old !== undefined && read.key !== undefined && old.key === read.key && !touchedFolders.has(path.basename(path.dirname(file)));
      const bytes = isUnchanged ? old.bytes : fs.readFileSync(file);
      const stat = read.stat ?? fs.statSync(file);
      files.set(file, { key: read.key ?? '', mtimeMs: read.mtimeMs ?? stat.mtimeMs, bytes, lstat: read.lstat ?? fs.lstatSync(file), stat, folder: path.basename(path.dirname(file)) });
      return bytes;
    },
  };
  const reuse = (name: string): TreeEntry | undefined => {
    if (mode !== 'trust-events' || !previous || touchedFolders.has(name)) return undefined;
    const folder = previous.entries.get(name);
    if (!folder) return undefined;
    for (const [file, stamp] of folder.files) files.set(file, stamp);
    return folder.entry;
  };
  const read = readMigrationTree(config.dir, fileSystem, undefined, reuse);
  const entries = new Map<string, { entry: TreeEntry; files: Array<[string, FileStamp]> }>();
  if (read.ok) for (const entry of read.tree.entries) if (entry.kind === 'directory') entries.set(entry.name, { entry, files: [] });
  for (const [file, stamp] of files) entries.get(stamp.folder)?.files.push([file, stamp]);
  return { set: revisionsOfTree(config, read), files, folderIds, entries, dir: config.dir };
}

function statKey(stat: fs.Stats): string {
  return `${stat.mtimeMs}:${stat.ctimeMs}:${stat.size}:${stat.ino}`;
}

/** Files written (even with the same bytes: a save is a save), created or deleted since `before`. */
export function changedFiles(before: FolderReading | undefined, after: FolderReading): string[] {
  if (!before) return [];
  const changed: string[] = [];
  for (const [file, stamp] of after.files) {
    const old = before.files.get(file);
    if (old && old.bytes === stamp.bytes) continue;
    if (!old || old.mtimeMs !== stamp.mtimeMs || !Buffer.from(old.bytes).equals(stamp.bytes)) changed.push(file);
  }
  for (const file of before.files.keys()) if (!after.files.has(file)) changed.push(file);
  // a folder that appeared or went away empty (rm -r deletes the files first, then the folder)
  const folderChanges = [...before.folderIds].filter((id) => !after.folderIds.has(id))
    .concat([...after.folderIds].filter((id) => !before.folderIds.has(id)));
  for (const id of folderChanges) if (!changed.some((file) => path.basename(path.dirname(file)) === id)) changed.push(path.join(after.dir, id, 'up.sql'));
  return changed.sort();
}
