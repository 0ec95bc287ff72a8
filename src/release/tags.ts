import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { displayPath, type StrataConfig } from '../config.js';
import { problem, type Problem } from '../errors.js';
import type { AppliedRevision } from '../plan/applied-revision.js';
import { databaseView } from '../plan/squashes.js';
import { targetUniverse } from '../plan/plan.js';
import { resolveTarget } from '../plan/targets.js';
import type { RevisionSet } from '../revision/build-revisions.js';
import { setHeaderLine } from '../revision/edit-header.js';
import { isValidTag } from '../revision/parse-header.js';
import type { Revision } from '../revision/revision.js';

/**
 * Tags as commands: strata tag <name> [revision] writes the name into the revision's `--! Tags:`
 * line (the head by default), strata tag --delete <name> takes it out, strata tags lists them with
 * the applied state. A header edit: the checksum, and so an applied revision, is unchanged.
 */
export type TagReport =
  | { ok: true; tag: string; revision: string; file: string; result: 'added' | 'deleted' | 'already there' }
  | { ok: false; reason: 'invalid'; problems: Problem[] };

const invalid = (found: Problem): TagReport => ({ ok: false, reason: 'invalid', problems: [found] });

export function addTag(config: StrataConfig, set: RevisionSet, name: string, revisionText = 'head'): TagReport {
  const blocking = set.problems.find((p) => p.code === 'DIR_MISSING');
  if (blocking) return invalid(blocking);
  if (!isValidTag(name)) {
    return invalid(problem('ARGUMENT_INVALID', { message: `'${name}' is not a valid tag`, hint: "tags start with a letter and use letters, digits, '.', '_' or '-' (e.g. v1.4); 'head' and 'base' are reserved" }));
  }
  const revisions = set.revisions;
  const resolved = resolveTarget(revisionText, targetUniverse(revisions, []));
  if (!resolved.ok) return invalid(resolved.problem);
  const { target } = resolved;
  const id = target.kind === 'head' ? revisions.at(-1)?.id : target.kind === 'revision' ? target.id : undefined;
  if (id === undefined) {
    return invalid(problem('TARGET_INVALID', { message: target.kind === 'head' ? 'there are no revisions to tag yet' : `'${revisionText}' is not one revision`, hint: 'strata tag <name> [revision]: the revision is an id, its prefix or head (the default)' }));
  }
  const revision = revisions.find((r) => r.id === id)!;
  const owner = [...revisions, ...replacedRevisions(set)].find((r) => r.tags.includes(name));
  if (owner && owner.id !== id) {
    return invalid(problem('DUPLICATE_TAG', { file: owner.up.path, revision: owner.id, message: `tag '${name}' is on ${owner.id} already`, hint: `a tag names one revision: strata tag --delete ${name} first to move it` }));
  }
  if (owner) return { ok: true, tag: name, revision: id, file: revision.up.path, result: 'already there' };
  const written = editUp(config, revision, (text) => setHeaderLine(text, 'Tags', [...revision.tags, name].join(', ')));
  return written ?? { ok: true, tag: name, revision: id, file: revision.up.path, result: 'added' };
}

export function deleteTag(config: StrataConfig, set: RevisionSet, name: string): TagReport {
  const owner = [...set.revisions, ...replacedRevisions(set)].find((r) => r.tags.includes(name));
  if (!owner) {
    const known = [...targetUniverse(set.revisions, []).tags.keys()];
    return invalid(problem('TARGET_UNKNOWN', { message: `no revision has the tag '${name}'`, hint: known.length > 0 ? `the tags are: ${known.join(', ')}` : 'no revision has a tag yet' }));
  }
  const rest = owner.tags.filter((t) => t !== name);
  const written = editUp(config, owner, (text) => setHeaderLine(text, 'Tags', rest.length > 0 ? rest.join(', ') : undefined));
  return written ?? { ok: true, tag: name, revision: owner.id, file: owner.up.path, result: 'deleted' };
}

export interface TagEntry {
  tag: string;
  revision: string;
  message: string | null;
  /** null when the database could not be read */
  state: 'applied' | 'pending' | null;
}

/** Every tag of the chain, oldest revision first, with whether the database (when read) applied its revision. */
export function listTags(set: RevisionSet, applied: readonly AppliedRevision[] | undefined): TagEntry[] {
  const view = applied === undefined ? undefined : databaseView(set, applied);
  const appliedIds = new Set(view?.applied.map((a) => a.id));
  return set.revisions.flatMap((r) => r.tags.map((tag) => ({
    tag, revision: r.id, message: r.message ?? null, state: view === undefined ? null : appliedIds.has(r.id) ? 'applied' as const : 'pending' as const,
  })));
}

function replacedRevisions(set: RevisionSet): Revision[] {
  return [...(set.replaced?.values() ?? [])].flat();
}

/** Rewrites the revision's up.sql (its header only); a problem when the file cannot be written. */
function editUp(config: StrataConfig, revision: Revision, change: (text: string) => string): TagReport | undefined {
  const file = path.join(config.dir, revision.id, 'up.sql');
  try {
    writeFileSync(file, change(readFileSync(file, 'utf8')));
    return undefined;
  } catch (error) {
    return invalid(problem('FILE_WRITE_FAILED', { file: displayPath(config.cwd, file), message: `cannot write the tag: ${(error as Error).message}`, hint: 'check that the file is writable' }));
  }
}
