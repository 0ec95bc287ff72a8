import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { displayPath, type StrataConfig } from '../config.js';
import { problem, type Problem } from '../errors.js';
import type { RevisionSet } from '../revision/build-revisions.js';
import { loadRevisions } from '../revision/load-revisions.js';
import { formatTimestamp, isRevisionId, slugify, timestampAfter } from '../revision/revision-id.js';
import { DOWN_TEMPLATE, upTemplate } from '../revision/templates.js';
import { renderSchema } from '../schema/model/render.js';

/** The files `strata new` and `strata init` write: project scaffolding, not migrations logic. */

export type NewRevisionReport =
  | { ok: true; id: string; parent: string; files: { up: string; down: string } }
  /** nothing written: an empty message, no migrations folder, a folder of that name already there, or one that cannot be written */
  | { ok: false; reason: 'invalid'; problems: Problem[] };

export type InitReport =
  | { ok: true; created: string[]; kept: string[] }
  /** a file could not be written (what was created before it is listed in the problem) */
  | { ok: false; reason: 'invalid'; problems: Problem[] };

const refused = (found: Problem): { ok: false; reason: 'invalid'; problems: Problem[] } => ({ ok: false, reason: 'invalid', problems: [found] });

export function createRevisionFolder(config: StrataConfig, message: string, now: Date): NewRevisionReport {
  const next = nextRevision(config, message, now);
  if (!next.ok) return next;
  return writeRevisionFolder(config, next, { up: upTemplate(next.parent, next.message), down: DOWN_TEMPLATE });
}

export type NextRevision = { ok: true; id: string; parent: string; message: string } | { ok: false; reason: 'invalid'; problems: Problem[] };

/** The id and parent the next revision gets (the message checked), as strata new names it; nothing is written. */
/** `set`: the revisions on disk, when the caller has read them already (else they are read here) */
export function nextRevision(config: StrataConfig, message: string, now: Date, set?: RevisionSet): NextRevision {
  const trimmed = message.trim();
  if (trimmed === '' || trimmed.includes('\n')) {
    return refused(problem('CONFIG_INVALID', { message: 'the message must be one non-empty line', hint: 'strata new "add orders table"' }));
  }
  const revisions = set ?? loadRevisions(config);
  const missingDir = revisions.problems.find((p) => p.code === 'DIR_MISSING');
  if (missingDir) return refused(missingDir);
  // the newest folder, even one whose files have problems (a header still being written): its id
  // is the one the new revision follows, and a timestamp it already has would make the order unclear
  const newestFolder = newestRevisionFolder(config.dir);
  const newestValid = revisions.revisions.at(-1);
  const last = newestFolder !== undefined && (newestValid === undefined || newestFolder > newestValid.id) ? { id: newestFolder } : newestValid;
  // never before (or on) the newest revision's timestamp, even with a skewed clock
  let timestamp = formatTimestamp(now);
  if (last && timestamp <= last.id.slice(0, 14)) timestamp = timestampAfter(last.id);
  const id = `${timestamp}_${slugify(trimmed)}`;
  const folder = path.join(config.dir, id);
  if (existsSync(folder)) return refused(problem('REVISION_EXISTS', { file: displayPath(config.cwd, folder), message: `${id} already exists`, hint: 'wait a second and try again' }));
  return { ok: true, id, parent: last?.id ?? 'base', message: trimmed };
}

function newestRevisionFolder(dir: string): string | undefined {
  try {
    return readdirSync(dir).filter(isRevisionId).sort().at(-1);
  } catch {
    return undefined;
  }
}

/** The revision folder with its two files; none at all when the file system refuses one. */
export function writeRevisionFolder(config: StrataConfig, revision: { id: string; parent: string }, texts: { up: string; down: string }): NewRevisionReport {
  const folder = path.join(config.dir, revision.id);
  const up = path.join(folder, 'up.sql');
  const down = path.join(folder, 'down.sql');
  const written = writeFiles(config, () => {
    mkdirSync(folder);
    writeFileSync(up, texts.up);
    writeFileSync(down, texts.down);
  }, () => folder);
  if (!written.ok) {
    rmSync(folder, { recursive: true, force: true }); // no half-made revision left behind
    return written;
  }
  return { ok: true, id: revision.id, parent: revision.parent, files: { up: displayPath(config.cwd, up), down: displayPath(config.cwd, down) } };
}

/** A file of the project (schema.sql) written whole, or the problem naming it. */
export function writeProjectFile(config: StrataConfig, file: string, text: string): { ok: true } | { ok: false; reason: 'invalid'; problems: Problem[] } {
  return writeFiles(config, () => writeFileSync(path.join(config.cwd, file), text), () => path.join(config.cwd, file));
}

const ENV_EXAMPLE = `# strata reads these (flags win over the environment, which wins over this .env file).
# DATABASE_URL=postgres://user:password@localhost:5432/app   # unset: embedded PGlite database under .strata/
# The scratch database strata dump and strata check migrate and revert; it must be empty (strata
# refuses one that is not). Unset: a temporary database on the DATABASE_URL server, dropped after,
# else a temporary embedded PGlite. Never point it at a database whose data you care about.
# SHADOW_DATABASE_URL=postgres://user:password@localhost:5432/app_shadow
# STRATA_DIR=migrations
# STRATA_SCHEMA=strata
# STRATA_LOCK_TIMEOUT=60
`;

/** What strata dump writes for a history with no revisions yet: strata check passes on a new project. */
const emptySchemaSql = () => renderSchema({ objects: [], unmodelled: [] }, { head: null });

export function initProject(config: StrataConfig): InitReport {
  const created: string[] = [];
  const kept: string[] = [];
  const doing = { target: config.dir };
  const written = writeFiles(config, () => initFiles(config, created, kept, doing), () => doing.target);
  return written.ok ? { ok: true, created, kept } : written;
}

/** `doing.target`: the file being written, for the message when the file system refuses it */
function initFiles(config: StrataConfig, created: string[], kept: string[], doing: { target: string }): void {
  // what is there already must be what init would make (a file where the folder goes is no folder
  // kept): each is looked at before anything is written
  for (const [target, isFolder] of [[config.dir, true], [path.join(config.cwd, 'schema.sql'), false], [path.join(config.cwd, '.env.example'), false], [path.join(config.cwd, '.gitignore'), false]] as const) {
    if (existsSync(target) && statSync(target).isDirectory() !== isFolder) {
      throw Object.assign(new Error(`${target} is ${isFolder ? 'a file' : 'a folder'}`), { code: isFolder ? 'ENOTDIR' : 'EISDIR', path: target });
    }
  }
  const ensure = (target: string, make: () => void) => {
    doing.target = target;
    if (existsSync(target)) kept.push(displayPath(config.cwd, target));
    else {
      make();
      created.push(displayPath(config.cwd, target));
    }
  };
  ensure(config.dir, () => mkdirSync(config.dir, { recursive: true }));
  ensure(path.join(config.cwd, 'schema.sql'), () => writeFileSync(path.join(config.cwd, 'schema.sql'), emptySchemaSql()));
  ensure(path.join(config.cwd, '.env.example'), () => writeFileSync(path.join(config.cwd, '.env.example'), ENV_EXAMPLE));
  const gitignore = path.join(config.cwd, '.gitignore');
  doing.target = gitignore;
  const ignored = existsSync(gitignore) ? readFileSync(gitignore, 'utf8') : '';
  if (!/^\/?\.strata\/?$/m.test(ignored)) {
    appendFileSync(gitignore, `${ignored === '' || ignored.endsWith('\n') ? '' : '\n'}.strata/\n.env\n`);
    created.push('.gitignore entries (.strata/, .env)');
  }
}

/** Runs `write`; a file-system refusal (no rights, a full disk, a file where a folder should be) comes back as a problem naming the path. */
function writeFiles(config: StrataConfig, write: () => void, target: () => string): { ok: true } | { ok: false; reason: 'invalid'; problems: Problem[] } {
  try {
    write();
    return { ok: true };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === undefined) throw error;
    const where = (error as NodeJS.ErrnoException).path ?? target();
    return refused(problem('FILE_WRITE_FAILED', {
      file: displayPath(config.cwd, where),
      message: `cannot write ${displayPath(config.cwd, where)}: ${WRITE_ERRORS[code] ?? 'the file system refused it'} (${code})`,
      hint: code === 'ENOSPC' || code === 'EDQUOT' ? 'free some disk space and run it again'
        : code === 'ENOTDIR' || code === 'EISDIR' ? 'move it away, or rename it, and run it again' : 'check the folder\'s permissions and run it again',
    }));
  }
}

const WRITE_ERRORS: Record<string, string> = {
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'the file system is read-only',
  ENOSPC: 'the disk is full',
  EDQUOT: 'the disk quota is used up',
  ENOTDIR: 'a file is where a folder should be',
  EISDIR: 'a folder is where a file should be',
};
