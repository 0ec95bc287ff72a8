import { problem, type Problem } from '../errors.js';
import { isRevisionId, suggestRevisionId } from './revision-id.js';
import { bodyChecksum } from './checksums.js';
import { cachedRevision } from './cached-revision.js';
import { parseDownFile, parseUpFile, withoutBom } from './parse-header.js';
import { MAX_FILE_BYTES, type FileContent, type MigrationTree } from './read-migration-tree.js';
import type { Revision } from './revision.js';
import { lineColumnAt, splitLines } from '../text/source-position.js';

export interface RevisionSet {
  /**
   * The chain, in id order (which the Parent chain must agree with): a squashed revision stands in
   * it for the revisions it replaces (src/plan/squashes.ts says which a given database follows)
   */
  revisions: Revision[];
  /** every problem in every file, in file order */
  problems: Problem[];
  /** squashed revision id -> the folders of the revisions it replaces still on disk, in order (none: absent) */
  replaced?: ReadonlyMap<string, Revision[]>;
}

const decoder = new TextDecoder('utf-8', { fatal: true });

/**
 * Interprets a migrations folder: names, headers, checksums and the Parent chain.
 * Pure: `dirLabel` is only used to print paths.
 */
export function buildRevisions(tree: MigrationTree, dirLabel: string): RevisionSet {
  const problems: Problem[] = [];
  const revisions: Revision[] = [];
  for (const entry of tree.entries) {
    const location = `${dirLabel}/${entry.name}`;
    if (entry.kind !== 'directory') {
      if (entry.name.toLowerCase().endsWith('.sql')) {
        problems.push(problem('STRAY_SQL_FILE', {
          file: location,
          message: `${entry.name} is not inside a revision folder and will not run`,
          hint: "create revisions with 'strata new <message>' and move the SQL into its up.sql",
        }));
      } else if (isRevisionId(entry.name)) {
        // named as a revision but no folder (a file, or a link to nothing): it would be passed over without a word
        problems.push(problem('STRAY_SQL_FILE', {
          file: location,
          message: `${entry.name} is named as a revision but is not a folder (a file, or a link whose target is gone), so it will not run`,
          hint: `make it a folder holding up.sql and down.sql (a link must point at one), or remove it`,
        }));
      }
      continue;
    }
    if (!isRevisionId(entry.name)) {
      const suggestion = suggestRevisionId(entry.name);
      problems.push(problem('FOLDER_NAME_INVALID', {
        file: location,
        message: `folder name '${entry.name}' is not a revision id (YYYYMMDDHHMMSS_slug, slug of a-z, 0-9 and _)`,
        hint: suggestion ? `rename it to ${suggestion}` : "create revisions with 'strata new <message>'",
      }));
      continue;
    }
    if (entry.cached) {
      revisions.push(cachedRevision(entry.name, location, entry.cached.entry, entry.cached.read));
      continue;
    }
    const folder = buildFolder(entry.name, location, entry.files['up.sql'], entry.files['down.sql']);
    problems.push(...folder.problems);
    if (folder.revision) revisions.push(folder.revision);
  }
  const squashes = separateReplaced(revisions);
  problems.push(...squashes.problems, ...checkTimestamps(squashes.chain, dirLabel), ...checkTags(squashes.chain), ...checkChain(squashes.chain, squashes.aliases));
  return squashes.replaced.size === 0 ? { revisions: squashes.chain, problems } : { revisions: squashes.chain, problems, replaced: squashes.replaced };
}

/**
 * Squashed revisions (`--! Replaces:`) and the folders of the revisions they replace, when still
 * there (for databases partway through the range): those leave the chain, where the squashed
 * revision takes their place, and must still be a chain of their own from its parent. A revision
 * after the range may name the squashed revision or the range's last as its Parent (`aliases`).
 */
function separateReplaced(revisions: readonly Revision[]): { chain: Revision[]; replaced: Map<string, Revision[]>; aliases: Map<string, string>; problems: Problem[] } {
  const problems: Problem[] = [];
  const replaced = new Map<string, Revision[]>();
  const aliases = new Map<string, string>();
  const byId = new Map(revisions.map((r) => [r.id, r]));
  const replacedBy = new Map<string, string>();
  for (const squash of revisions.filter((r) => r.replaces.length > 0)) {
    const line = headerLine(squash.up.text, 'Replaces');
    const at = { file: squash.up.path, line, revision: squash.id };
    const nested = squash.replaces.filter((id) => (byId.get(id)?.replaces.length ?? 0) > 0);
    const taken = squash.replaces.filter((id) => replacedBy.has(id));
    if (nested.length > 0 || taken.length > 0) {
      problems.push(problem('SQUASH_INVALID', {
        ...at, message: nested.length > 0 ? `${squash.id} replaces ${nested[0]}, which is itself a squashed revision` : `${taken[0]} is replaced by both ${replacedBy.get(taken[0]!)} and ${squash.id}`,
        hint: 'a revision is replaced by one squashed revision at most; squash the original revisions again into one range',
      }));
      continue;
    }
    for (const id of squash.replaces) replacedBy.set(id, squash.id);
    aliases.set(squash.replaces.at(-1)!, squash.id);
    const present = squash.replaces.flatMap((id) => (byId.has(id) ? [byId.get(id)!] : []));
    if (present.length === 0) continue;
    replaced.set(squash.id, present);
    if (present.length < squash.replaces.length) {
      const absent = squash.replaces.filter((id) => !byId.has(id));
      problems.push(problem('SQUASH_INVALID', {
        ...at, message: `${squash.id} replaces ${squash.replaces.length} revisions, but ${absent.length} of their folders ${absent.length === 1 ? 'is' : 'are'} gone (${absent.join(', ')}) and ${present.length} ${present.length === 1 ? 'is' : 'are'} still here`,
        hint: `keep all of them while a database is partway through the range (check them out again from git), or delete all of them once every database is past ${squash.replaces.at(-1)}`,
      }));
      continue;
    }
    present.forEach((revision, k) => {
      const expected = k === 0 ? squash.parent : present[k - 1]!.id;
      if (revision.parent !== expected) {
        problems.push(problem('SQUASH_INVALID', {
          file: revision.up.path, line: headerLine(revision.up.text, 'Parent'), revision: revision.id,
          message: `${revision.id} is replaced by ${squash.id}, but its Parent is ${revision.parent}, not ${expected}: the replaced revisions must stay the chain they were`,
          hint: `set '--! Parent: ${expected}' in ${revision.up.path}, or fix the Replaces line of ${squash.up.path}`,
        }));
      }
    });
  }
  return { chain: revisions.filter((r) => !replacedBy.has(r.id) || !replaced.has(replacedBy.get(r.id)!)), replaced, aliases, problems };
}

/**
 * A revision as `strata up` will read it from disk, read from its texts instead (a revision strata
 * is about to write, proven first). Alone, its parent is not in this set: the chain is the caller's.
 */
export function revisionFromTexts(id: string, texts: { up: string; down: string }, dirLabel: string): Revision | { problems: Problem[] } {
  const encoder = new TextEncoder();
  const built = buildRevisions({
    entries: [{ name: id, kind: 'directory', files: { 'up.sql': { kind: 'bytes', bytes: encoder.encode(texts.up) }, 'down.sql': { kind: 'bytes', bytes: encoder.encode(texts.down) } } }],
  }, dirLabel);
  const problems = built.problems.filter((p) => !p.code.startsWith('CHAIN_'));
  const revision = built.revisions[0];
  return problems.length > 0 || !revision ? { problems } : revision;
}

interface FolderResult {
  revision: Revision | undefined;
  problems: Problem[];
}

/**
 * The same bytes give the same revision: a folder whose files are the very byte arrays seen
 * before (the dev loop keeps unchanged files' bytes) is not decoded, parsed and hashed again.
 */
const folderCache = new WeakMap<Uint8Array, { down: Uint8Array; location: string; result: FolderResult }>();

function buildFolder(id: string, location: string, upContent: FileContent | undefined, downContent: FileContent | undefined): FolderResult {
  const cacheable = upContent?.kind === 'bytes' && downContent?.kind === 'bytes';
  if (cacheable) {
    const cached = folderCache.get(upContent.bytes);
    if (cached && cached.down === downContent.bytes && cached.location === location) return cached.result;
  }
  const problems: Problem[] = [];
  const up = decodeFile(upContent, `${location}/up.sql`, id, problems);
  const down = decodeFile(downContent, `${location}/down.sql`, id, problems);
  let revision: Revision | undefined;
  if (up !== undefined && down !== undefined) {
    const upFile = parseUpFile(up, `${location}/up.sql`, id);
    const downFile = parseDownFile(down, `${location}/down.sql`, id);
    problems.push(...upFile.problems, ...downFile.problems);
    if (upFile.header.parent !== undefined) {
      revision = {
        id,
        parent: upFile.header.parent,
        message: upFile.header.message,
        tags: upFile.header.tags,
        replaces: upFile.header.replaces,
        transactional: upFile.header.transactional,
        up: { path: `${location}/up.sql`, text: up, body: upFile.body, bodyOffset: upFile.bodyOffset, checksum: bodyChecksum(upFile.body), lintAllows: upFile.header.lintAllows },
        down: {
          path: `${location}/down.sql`, text: down, body: downFile.body, bodyOffset: downFile.bodyOffset, checksum: bodyChecksum(downFile.body),
          transactional: downFile.header.transactional, irreversible: downFile.header.irreversible, lintAllows: downFile.header.lintAllows,
        },
      };
    }
  }
  const result = { revision, problems };
  if (cacheable) folderCache.set(upContent.bytes, { down: downContent.bytes, location, result });
  return result;
}

function decodeFile(content: FileContent | undefined, file: string, revision: string, problems: Problem[]): string | undefined {
  if (content === undefined || content.kind === 'missing') {
    const name = file.slice(file.lastIndexOf('/') + 1);
    problems.push(problem('FILE_MISSING', {
      file, revision,
      message: `${name} is missing`,
      hint: name === 'down.sql'
        ? "write the SQL that undoes up.sql; if it cannot be undone, create down.sql with '--! Irreversible: <why>'"
        : "every revision folder needs an up.sql starting with '--! Parent: <previous id>'",
    }));
    return undefined;
  }
  if (content.kind === 'unreadable') {
    problems.push(problem('FILE_UNREADABLE', {
      file, revision,
      message: `cannot read file: ${content.reason}`,
      hint: content.isPermissionDenied ? 'check its permissions: the user running strata must be able to read it' : 'replace it with a plain text file',
    }));
    return undefined;
  }
  if (content.kind === 'outside') {
    problems.push(problem('FILE_OUTSIDE_DIR', {
      file, revision,
      message: `symbolic link points outside the migrations folder (to ${content.target})`,
      hint: 'copy the file into the revision folder instead of linking to it',
    }));
    return undefined;
  }
  if (content.kind === 'too-large') {
    problems.push(problem('FILE_TOO_LARGE', {
      file, revision,
      message: `file is ${(content.bytes / 1024 / 1024).toFixed(1)} MiB, over the ${MAX_FILE_BYTES / 1024 / 1024} MiB limit`,
      hint: 'split it into several revisions, or load bulk data with COPY outside the migration',
    }));
    return undefined;
  }
  const bytes = content.bytes;
  if ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff)) {
    problems.push(problem('FILE_ENCODING', {
      file, revision, line: 1, column: 1,
      message: 'file is UTF-16 (it starts with a UTF-16 byte order mark), not UTF-8',
      hint: 'save it as UTF-8 (e.g. iconv -f utf-16 -t utf-8)',
    }));
    return undefined;
  }
  try {
    const text = withoutBom(decoder.decode(bytes));
    // PostgreSQL text cannot hold NUL; a file full of them is UTF-16 saved without a byte order mark
    const nul = text.indexOf('\0');
    if (nul !== -1) {
      problems.push(problem('FILE_ENCODING', {
        file, revision, ...lineColumnAt(text, nul),
        message: `file contains a NUL byte${text.split('\0').length > text.length / 4 ? ' (it looks like UTF-16)' : ''}, which SQL text cannot hold`,
        hint: 'save it as UTF-8 (e.g. iconv -f utf-16 -t utf-8) and remove any NUL characters',
      }));
      return undefined;
    }
    return text;
  } catch {
    const { line, column } = firstInvalidUtf8(bytes);
    problems.push(problem('FILE_ENCODING', {
      file, revision, line, column,
      message: 'file is not valid UTF-8',
      hint: 'save it as UTF-8 (e.g. iconv -f latin1 -t utf-8)',
    }));
    return undefined;
  }
}

function firstInvalidUtf8(bytes: Uint8Array): { line: number; column: number } {
  let line = 1;
  let column = 1;
  let i = 0;
  while (i < bytes.length) {
    const byte = bytes[i]!;
    const length = byte < 0x80 ? 1 : byte >= 0xc2 && byte < 0xe0 ? 2 : byte >= 0xe0 && byte < 0xf0 ? 3 : byte >= 0xf0 && byte < 0xf5 ? 4 : 0;
    if (length === 0) return { line, column };
    try {
      decoder.decode(bytes.subarray(i, i + length));
    } catch {
      return { line, column };
    }
    if (byte === 0x0a || (byte === 0x0d && bytes[i + 1] !== 0x0a)) {
      line++;
      column = 1;
    } else {
      column++;
    }
    i += length;
  }
  return { line, column };
}

function checkTimestamps(revisions: Revision[], dirLabel: string): Problem[] {
  const problems: Problem[] = [];
  for (let i = 1; i < revisions.length; i++) {
    const previous = revisions[i - 1]!;
    const current = revisions[i]!;
    if (previous.id.slice(0, 14) === current.id.slice(0, 14)) {
      problems.push(problem('DUPLICATE_TIMESTAMP', {
        file: `${dirLabel}/${current.id}`, revision: current.id,
        message: `${current.id} and ${previous.id} share the timestamp ${current.id.slice(0, 14)}, so their order is unclear`,
        hint: 'give the one nobody has applied yet a later timestamp (rename its folder and update the Parent that names it)',
      }));
    }
  }
  return problems;
}

function checkTags(revisions: Revision[]): Problem[] {
  const problems: Problem[] = [];
  const owner = new Map<string, string>();
  for (const revision of revisions) {
    for (const tag of revision.tags) {
      const other = owner.get(tag);
      if (other !== undefined) {
        problems.push(problem('DUPLICATE_TAG', {
          file: revision.up.path, line: headerLine(revision.up.text, 'Tags'), revision: revision.id,
          message: `tag '${tag}' is already on ${other}`,
          hint: 'a tag names one revision; remove it from one of them',
        }));
      } else {
        owner.set(tag, revision.id);
      }
    }
  }
  return problems;
}

/** The chain must follow id order: each revision's Parent is the one before it. */
function checkChain(revisions: Revision[], aliases: ReadonlyMap<string, string> = new Map()): Problem[] {
  const problems: Problem[] = [];
  const ids = new Set(revisions.map((r) => r.id));
  const claimants = new Map<string, Revision[]>();
  const parentOf = (revision: Revision) => aliases.get(revision.parent) ?? revision.parent;
  for (const revision of revisions) {
    const list = claimants.get(parentOf(revision)) ?? [];
    list.push(revision);
    claimants.set(parentOf(revision), list);
  }
  const reportedForks = new Set<string>();
  revisions.forEach((revision, index) => {
    const expected = index === 0 ? 'base' : revisions[index - 1]!.id;
    if (parentOf(revision) === expected) return;
    const file = revision.up.path;
    const line = headerLine(revision.up.text, 'Parent');
    const sameParent = claimants.get(parentOf(revision)) ?? [];
    if (sameParent.length > 1) {
      if (reportedForks.has(parentOf(revision))) return;
      reportedForks.add(parentOf(revision));
      const names = sameParent.map((r) => r.id);
      problems.push(problem('CHAIN_FORK', {
        file, line, revision: revision.id,
        message: `${names.length} revisions claim parent ${revision.parent}: ${names.join(' and ')} (${names.length === 2 ? 'two' : names.length} branches were merged)`,
        hint: `join the branches with strata rebase (it moves the revisions the database has not applied after the others; strata rebase --from base decides from the files alone), or set '--! Parent: ${expected}' in ${file} by hand (strata heads lists every step of each branch)`,
      }));
      return;
    }
    if (parentOf(revision) !== 'base' && !ids.has(parentOf(revision))) {
      problems.push(problem('CHAIN_PARENT_UNKNOWN', {
        file, line, revision: revision.id,
        message: `Parent ${revision.parent} is not a revision in this folder`,
        hint: `set '--! Parent: ${expected}'`,
      }));
      return;
    }
    problems.push(problem('CHAIN_PARENT_MISMATCH', {
      file, line, revision: revision.id,
      message: index === 0
        ? `the first revision must have Parent base, not ${revision.parent}`
        : `Parent is ${revision.parent} but the revision before this one is ${expected}`,
      hint: `set '--! Parent: ${expected}' (revisions run in the order of their folder names)`,
    }));
  });
  return problems;
}

function headerLine(text: string, key: string): number {
  const lines = splitLines(text, 50);
  const index = lines.findIndex((l) => new RegExp(`^--!\\s*${key}\\s*:`, 'i').test(l));
  return index === -1 ? 1 : index + 1;
}
