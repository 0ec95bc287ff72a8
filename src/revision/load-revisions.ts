import type { StrataConfig } from '../config.js';
import { problem } from '../errors.js';
import { attachCodeFrames } from '../text/source-position.js';
import { buildRevisions, type RevisionSet } from './build-revisions.js';
import { withoutBom } from './parse-header.js';
import { readMigrationTree, type MigrationTree, type TreeFileSystem } from './read-migration-tree.js';

/** Reads and checks every revision on disk: names, headers, checksums, the chain. */
export function loadRevisions(config: StrataConfig, fileSystem?: TreeFileSystem): RevisionSet {
  const read = readMigrationTree(config.dir, fileSystem);
  if (!read.ok) {
    return {
      revisions: [],
      problems: [problem(read.reason === 'missing' ? 'DIR_MISSING' : 'DIR_UNREADABLE', {
        file: config.dirLabel,
        message: read.reason === 'missing' ? `migrations folder ${config.dirLabel} does not exist` : `cannot read ${config.dirLabel}: ${read.detail}`,
        hint: read.reason === 'missing' ? "run 'strata init', or point --dir / STRATA_DIR at your migrations" : 'check its permissions',
      })],
    };
  }
  const set = buildRevisions(read.tree, config.dirLabel);
  return set.problems.length === 0 ? set : { ...set, problems: attachCodeFrames(set.problems, (file) => fileText(read.tree, config.dirLabel, file)) };
}

/** The normalised text of `file` (as printed: `<dir>/<revision>/up.sql`) from the tree read for this run. */
function fileText(tree: MigrationTree, dirLabel: string, file: string): string | undefined {
  const [folder, name, ...rest] = file.slice(dirLabel.length + 1).split('/');
  if (!file.startsWith(`${dirLabel}/`) || !folder || !name || rest.length > 0) return undefined;
  const entry = tree.entries.find((e) => e.name === folder);
  const content = entry?.kind === 'directory' ? entry.files[name] : undefined;
  return content?.kind === 'bytes' ? withoutBom(new TextDecoder().decode(content.bytes)) : undefined;
}
