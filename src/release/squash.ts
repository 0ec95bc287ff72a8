import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { displayPath, type StrataConfig } from '../config.js';
import { problem, type Problem, type Unavailable } from '../errors.js';
import { targetUniverse } from '../plan/plan.js';
import { resolveTarget } from '../plan/targets.js';
import { SCHEMA_FILE } from '../proof/dump.js';
import type { ProofEvents } from '../proof/proof-events.js';
import { writeRevisionFolder } from '../project/project-files.js';
import { revisionFromTexts, type RevisionSet } from '../revision/build-revisions.js';
import { setHeaderLine } from '../revision/edit-header.js';
import { slugify } from '../revision/revision-id.js';
import type { Revision } from '../revision/revision.js';
import { squashTexts } from '../revision/squash-texts.js';
import { renderSchema } from '../schema/model/render.js';
import { proveSquash } from './squash-proof.js';

/**
 * strata squash: a range of revisions replaced by one revision (squash-texts.ts writes it), proven
 * on shadows first (squash-proof.ts), then written with `--! Replaces:`; the revision after the
 * range takes it as its Parent and the range's tags move to it (header edits: no checksum changes).
 * The replaced folders stay, for databases partway through the range (src/plan/squashes.ts), unless
 * `deleteReplaced`. Nothing is written when anything fails.
 */
export interface SquashOptions {
  /** `<from>..<to>`: ids, prefixes or tags; `..<to>` from the first revision, `<from>..` to the head */
  range?: string;
  /** with a range: the squashed revision's tag too; alone: the range since the revision of the previous tag, up to this tag's revision (or the head, tagged so) */
  tag?: string;
  message?: string;
  /** write the squashed revision Transaction: off when the range has a Transaction: off revision (else refused) */
  transactionOff?: boolean;
  /** delete the replaced folders (every database is past the range, or at its start) */
  deleteReplaced?: boolean;
  signal?: AbortSignal;
}

export type SquashReport =
  | {
      ok: true; id: string; parent: string; replaced: string[]; tags: string[];
      files: { up: string; down: string };
      /** other files whose header was edited (the revision after the range, the range's tags), and schema.sql when it names the new head */
      edited: string[];
      keptReplaced: boolean;
      /** false when down.sql is Irreversible (one of the range's is) */
      downProven: boolean;
      shadows: string[];
    }
  | { ok: false; reason: 'invalid' | 'failed'; problems: Problem[] }
  | { ok: false; reason: 'interrupted' }
  | Unavailable;

/** What the configured database (DATABASE_URL, or the embedded one) applied: its ids, and how it is named */
export type AppliedReader = () => Promise<{ ok: true; database: string; applied: string[] } | Unavailable>;

export async function squashRevisions(config: StrataConfig, set: RevisionSet, events: ProofEvents, options: SquashOptions, reader: AppliedReader): Promise<SquashReport> {
  const invalid = (found: Problem[]): SquashReport => ({ ok: false, reason: 'invalid', problems: found });
  if (set.problems.length > 0) return invalid(set.problems);
  const chosen = chooseRange(set.revisions, options);
  if (!chosen.ok) return invalid([chosen.problem]);
  const { from, to, tags } = chosen;
  const range = set.revisions.slice(from, to + 1);
  const squashed = range.find((r) => r.replaces.length > 0);
  if (squashed) return invalid([problem('SQUASH_INVALID', { file: squashed.up.path, revision: squashed.id, message: `${squashed.id} is a squashed revision already`, hint: 'squash a range after it, or one that ends before it' })]);
  const message = (options.message ?? (options.tag ? `release ${options.tag}` : '')).trim();
  if (message === '' || message.includes('\n')) return invalid([problem('ARGUMENT_INVALID', { message: 'the squashed revision needs a message of one line', hint: 'strata squash <from>..<to> -m "release 1.4"' })]);
  const id = `${range.at(-1)!.id.slice(0, 14)}_${slugify(message)}`;
  if (existsSync(path.join(config.dir, id))) {
    return invalid([problem('REVISION_EXISTS', { file: displayPath(config.cwd, path.join(config.dir, id)), message: `${id} already exists`, hint: 'give the squashed revision another message (-m)' })]);
  }
  if (options.deleteReplaced) {
    const partway = await refusePartway(range, reader);
    if (partway) return partway;
  }
  const texts = squashTexts({ range, message, tags, transactionOff: options.transactionOff ?? false });
  if (!texts.ok) return invalid(texts.problems);
  const squash = revisionFromTexts(id, texts, config.dirLabel);
  if ('problems' in squash) return invalid(squash.problems);

  const shadows: string[] = [];
  const proof = await proveSquash(config, set.revisions.slice(0, from), range, squash, { ...events, shadow: (d) => { shadows.push(d); events.shadow(d); } }, options.signal);
  if (!proof.ok) return proof;

  const next = set.revisions[to + 1];
  const upOf = (r: Revision) => path.join(config.dir, r.id, 'up.sql');
  const edits = [
    ...(next ? [{ file: upOf(next), change: (text: string) => setHeaderLine(text, 'Parent', id) }] : []),
    ...range.filter((r) => r.tags.length > 0 && !options.deleteReplaced).map((r) => ({ file: upOf(r), change: (text: string) => setHeaderLine(text, 'Tags', undefined) })),
  ];
  // schema.sql names the head: the squashed revision, when the range ends there
  const schemaFile = path.join(config.cwd, SCHEMA_FILE);
  if (!next && existsSync(schemaFile)) edits.push({ file: schemaFile, change: () => renderSchema(proof.atEnd, { head: id }) });
  const written = writeAll(config, { id, parent: squash.parent }, texts, edits, options.deleteReplaced ? range : []);
  if (!written.ok) return { ok: false, reason: 'failed', problems: written.problems };
  return {
    ok: true, id, parent: squash.parent, replaced: range.map((r) => r.id), tags, files: written.files, edited: edits.map((e) => displayPath(config.cwd, e.file)),
    keptReplaced: !options.deleteReplaced, downProven: proof.downProven, shadows,
  };
}

/**
 * --delete-replaced on a database partway through the range: the folders it still has to run
 * would be gone, and with them its way on (status and up would only say what it lacks). Refused
 * before anything is proven or written; a database that cannot be read refuses it too.
 */
async function refusePartway(range: readonly Revision[], reader: AppliedReader): Promise<SquashReport | undefined> {
  const read = await reader();
  const keep = 'or squash without --delete-replaced: the folders are kept for such databases, to be deleted once each is past the range';
  if (!read.ok) {
    return { ...read, problems: [...read.problems, problem('SQUASH_INVALID', { message: '--delete-replaced reads the database first, to know that it is not partway through the range', hint: `make it reachable, ${keep}` })] };
  }
  const applied = new Set(read.applied);
  const done = range.filter((r) => applied.has(r.id));
  if (done.length === 0 || done.length === range.length) return undefined;
  const last = range.at(-1)!.id;
  return {
    ok: false, reason: 'invalid', problems: [problem('SQUASH_INVALID', {
      revision: done.at(-1)!.id,
      message: `${read.database} applied ${done.length} of the ${range.length} revisions of the range (up to ${done.at(-1)!.id}): with their folders deleted it could not finish the range, and nothing would bring it past ${last}`,
      hint: `run strata up on it first (it finishes the range), then squash with --delete-replaced; ${keep}`,
    })],
  };
}

type Chosen = { ok: true; from: number; to: number; tags: string[] } | { ok: false; problem: Problem };

/** The range's first and last index in the chain, and the squashed revision's tags (the range's, and --tag's). */
function chooseRange(revisions: readonly Revision[], options: SquashOptions): Chosen {
  const universe = targetUniverse(revisions, []);
  const indexOf = (text: string, end: 'from' | 'to'): number | Problem => {
    if (text === '') return end === 'from' ? 0 : revisions.length - 1;
    const resolved = resolveTarget(text, universe);
    if (!resolved.ok) return resolved.problem;
    const { target } = resolved;
    if (target.kind === 'head') return revisions.length - 1;
    if (target.kind !== 'revision') return problem('ARGUMENT_INVALID', { message: `'${text}' is not one revision: a range is <from>..<to>, each an id, its prefix or a tag`, hint: 'e.g. strata squash 20261102..20261106 -m "release 1.4"' });
    return revisions.findIndex((r) => r.id === target.id);
  };
  let from: number | Problem;
  let to: number | Problem;
  const tags = new Set<string>();
  if (options.range !== undefined) {
    const parts = options.range.split('..');
    if (parts.length !== 2) return { ok: false, problem: problem('ARGUMENT_INVALID', { message: `'${options.range}' is not a range`, hint: 'write <from>..<to> (ids, prefixes or tags), e.g. strata squash 20261102..20261106 -m "release 1.4"' }) };
    [from, to] = [indexOf(parts[0]!.trim(), 'from'), indexOf(parts[1]!.trim(), 'to')];
  } else if (options.tag !== undefined) {
    const tagged = universe.tags.get(options.tag);
    to = tagged === undefined ? revisions.length - 1 : revisions.findIndex((r) => r.id === tagged);
    const previous = revisions.slice(0, to).findLastIndex((r) => r.tags.length > 0);
    from = previous + 1;
  } else {
    return { ok: false, problem: problem('ARGUMENT_INVALID', { message: 'which revisions? give a range or a tag', hint: 'strata squash <from>..<to> -m "<message>", or strata squash --tag v1.4 (the revisions since the previous tag)' }) };
  }
  if (typeof from !== 'number') return { ok: false, problem: from };
  if (typeof to !== 'number') return { ok: false, problem: to };
  if (to - from < 1) {
    return { ok: false, problem: problem('ARGUMENT_INVALID', { message: to < from ? 'the range ends before it starts' : `the range holds ${to < 0 ? 'no revision' : `one revision (${revisions[from]?.id})`}: nothing to squash`, hint: 'a squash replaces two or more revisions in a row' }) };
  }
  for (const r of revisions.slice(from, to + 1)) for (const t of r.tags) tags.add(t);
  if (options.tag !== undefined) tags.add(options.tag);
  return { ok: true, from, to, tags: [...tags] };
}

/** The squashed folder, then each header edit, then the deletions; an edit that fails undoes what was written before it. */
function writeAll(config: StrataConfig, revision: { id: string; parent: string }, texts: { up: string; down: string }, edits: ReadonlyArray<{ file: string; change: (text: string) => string }>, toDelete: readonly Revision[]):
  { ok: true; files: { up: string; down: string } } | { ok: false; problems: Problem[] } {
  const folder = writeRevisionFolder(config, revision, texts);
  if (!folder.ok) return folder;
  const done: Array<{ file: string; was: string }> = [];
  try {
    for (const edit of edits) {
      const { file } = edit;
      const was = readFileSync(file, 'utf8');
      writeFileSync(file, edit.change(was));
      done.push({ file, was });
    }
  } catch (error) {
    for (const { file, was } of done.reverse()) writeFileSync(file, was);
    rmSync(path.join(config.dir, revision.id), { recursive: true, force: true });
    return { ok: false, problems: [problem('FILE_WRITE_FAILED', { message: `cannot write the squash: ${(error as Error).message}`, hint: 'check that the migrations folder is writable; nothing was changed' })] };
  }
  for (const r of toDelete) rmSync(path.join(config.dir, r.id), { recursive: true, force: true });
  return { ok: true, files: folder.files };
}
