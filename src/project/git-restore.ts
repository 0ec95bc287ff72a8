import { createRequire } from 'node:module';

// loaded when a hint needs git, not by every command that imports this module
const requireBuiltin = createRequire(import.meta.url);

/**
 * The git command that brings back the committed version of `file` (as printed, relative to `cwd`),
 * or undefined when there is none to bring back: git missing, not a repository, a file git does not
 * track (or added but never committed), or one that already equals what is committed.
 * Only called when a problem needs it: it starts a process.
 */
export function gitRestoreCommand(cwd: string, file: string): string | undefined {
  const { spawnSync } = requireBuiltin('node:child_process') as typeof import('node:child_process');
  const status = spawnSync('git', ['status', '--porcelain', '--', file], { cwd, encoding: 'utf8', timeout: 5000 });
  if (status.status !== 0 || typeof status.stdout !== 'string') return undefined;
  const line = status.stdout.split('\n')[0] ?? '';
  if (line.length < 2) return undefined;
  const [staged, unstaged] = [line[0], line[1]];
  // untracked, ignored, or added to the index but not in any commit: nothing to check out
  if (staged === '?' || staged === '!' || staged === 'A') return undefined;
  // an edit staged with git add: checking out from the index would bring back the edit itself
  if (staged === 'M' || staged === 'D' || staged === 'R') return `git checkout HEAD -- ${file}`;
  return unstaged === 'M' || unstaged === 'D' ? `git checkout -- ${file}` : undefined;
}
