import type { StrataConfig } from '../config.js';
import { problem } from '../errors.js';
import { attachCodeFrames } from '../text/source-position.js';
import { buildRevisions, type RevisionSet } from './build-revisions.js';
import { withoutBom } from './parse-header.js';
import { readMigrationTree, type MigrationTree, type ReadTreeResult, type TreeFileSystem } from './read-migration-tree.js';
import { noRevisionCache, openRevisionCache, type FolderEntry, type RevisionCache } from './revision-cache.js';
import type { Revision } from './revision.js';

/**
 * Reads and checks every revision on disk: names, headers, checksums, the chain. Folders unchanged
 * since a run hashed them come from the revision cache (revision-cache.ts) unless a file system
 * is handed in (tests, the dev loop, which keeps what it read itself).
 */
export function loadRevisions(config: StrataConfig, fileSystem?: TreeFileSystem): RevisionSet {
  const cache = fileSystem ? noRevisionCache : openRevisionCache(config.cacheDir, config.dir);
  const read = readMigrationTree(config.dir, fileSystem, cache);
  const set = revisionsOfTree(config, read);
  if (read.ok && cache !== noRevisionCache) rememberFolders(cache, read.tree, set);
  return set;
}

/** The revisions of a tree read by readMigrationTree (or the problem that it could not be read), with code frames on the problems. */
export function revisionsOfTree(config: StrataConfig, read: ReadTreeResult): RevisionSet {
  if (!read.ok) {
    return {
      revisions: [],
      problems: [read.reason === 'unreadable'
        ? problem('DIR_UNREADABLE', { file: config.dirLabel, message: `cannot read ${config.dirLabel}: ${read.detail}`, hint: 'check its permissions' })
        : problem('DIR_MISSING', {
          file: config.dirLabel,
          message: read.reason === 'missing' ? `migrations folder ${config.dirLabel} does not exist` : `migrations folder ${config.dirLabel} is not a folder: a file is in its place (or in its path)`,
          hint: read.reason === 'missing'
            ? "run 'strata init', or point --dir / STRATA_DIR at your migrations"
            : `move that file away and run 'strata init', or point --dir / STRATA_DIR at your migrations folder`,
        })],
    };
  }
  const set = buildRevisions(read.tree, config.dirLabel);
  return set.problems.length === 0 ? set : { ...set, problems: attachCodeFrames(set.problems, (file) => fileText(read.tree, config.dirLabel, file)) };
}

/** What this run found, for the next: folders that came from the cache, and those read whole that have no problem. */
function rememberFolders(cache: RevisionCache, tree: MigrationTree, set: RevisionSet): void {
  const troubled = new Set(set.problems.map((p) => p.revision));
  const built = new Map<string, Revision>(set.revisions.map((r) => [r.id, r]));
  for (const replaced of set.replaced?.values() ?? []) for (const r of replaced) built.set(r.id, r);
  for (const entry of tree.entries) {
    if (entry.kind !== 'directory') continue;
    if (entry.cached) {
      cache.remember(entry.name, entry.cached.entry);
      continue;
    }
    const revision = built.get(entry.name);
    const up = entry.stamps?.['up.sql'];
    const down = entry.stamps?.['down.sql'];
    if (!revision || !up || !down || troubled.has(entry.name)) continue;
    cache.remember(entry.name, folderEntry(revision, up, down));
  }
  cache.save();
}

function folderEntry(revision: Revision, up: FolderEntry['up']['stamp'], down: FolderEntry['down']['stamp']): FolderEntry {
  return {
    hashedAtMs: 0, // set by the cache: when this run began reading
    up: {
      stamp: up, parent: revision.parent, message: revision.message, tags: revision.tags, replaces: revision.replaces,
      transactional: revision.transactional, bodyOffset: revision.up.bodyOffset, checksum: revision.up.checksum, lintAllows: revision.up.lintAllows ?? [],
    },
    down: {
      stamp: down, transactional: revision.down.transactional, irreversible: revision.down.irreversible, bodyOffset: revision.down.bodyOffset, checksum: revision.down.checksum,
      lintAllows: revision.down.lintAllows ?? [],
    },
  };
}

/** The normalised text of `file` (as printed: `<dir>/<revision>/up.sql`) from the tree read for this run. */
function fileText(tree: MigrationTree, dirLabel: string, file: string): string | undefined {
  const [folder, name, ...rest] = file.slice(dirLabel.length + 1).split('/');
  if (!file.startsWith(`${dirLabel}/`) || !folder || !name || rest.length > 0) return undefined;
  const entry = tree.entries.find((e) => e.name === folder);
  if (entry?.kind !== 'directory') return undefined;
  if (entry.cached) {
    if (name !== 'up.sql' && name !== 'down.sql') return undefined;
    try {
      return withoutBom(new TextDecoder().decode(entry.cached.read(name)));
    } catch {
      return undefined;
    }
  }
  const content = entry.files[name];
  return content?.kind === 'bytes' ? withoutBom(new TextDecoder().decode(content.bytes)) : undefined;
}
