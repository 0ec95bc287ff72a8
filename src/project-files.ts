import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { displayPath, type StrataConfig } from './config.js';
import { StrataError } from './errors.js';
import { loadRevisions } from './migrate.js';
import { formatTimestamp, slugify, timestampAfter } from './revision/revision-id.js';

/** The files `strata new` and `strata init` write: project scaffolding, not migrations logic. */

export interface NewRevisionReport {
  id: string;
  parent: string;
  files: { up: string; down: string };
}

export interface InitReport {
  created: string[];
  kept: string[];
}

export function createRevisionFolder(config: StrataConfig, message: string, now: Date): NewRevisionReport {
  const trimmed = message.trim();
  if (trimmed === '' || trimmed.includes('\n')) {
    throw new StrataError('CONFIG_INVALID', { message: 'the message must be one non-empty line', hint: 'strata new "add orders table"' });
  }
  const set = loadRevisions(config);
  const missingDir = set.problems.find((p) => p.code === 'DIR_MISSING');
  if (missingDir) throw new StrataError('DIR_MISSING', missingDir);
  const last = set.revisions.at(-1);
  // never before (or on) the newest revision's timestamp, even with a skewed clock
  let timestamp = formatTimestamp(now);
  if (last && timestamp <= last.id.slice(0, 14)) timestamp = timestampAfter(last.id);
  const id = `${timestamp}_${slugify(trimmed)}`;
  const folder = path.join(config.dir, id);
  if (existsSync(folder)) throw new StrataError('REVISION_EXISTS', { file: displayPath(config.cwd, folder), message: `${id} already exists`, hint: 'wait a second and try again' });
  mkdirSync(folder);
  const parent = last?.id ?? 'base';
  const up = path.join(folder, 'up.sql');
  const down = path.join(folder, 'down.sql');
  writeFileSync(up, `--! Parent: ${parent}\n--! Message: ${trimmed}\n\n`);
  writeFileSync(down, `-- Undo everything up.sql does, in reverse order.\n-- If it cannot be undone, replace this with: --! Irreversible: <why>\n\n`);
  return { id, parent, files: { up: displayPath(config.cwd, up), down: displayPath(config.cwd, down) } };
}

const ENV_EXAMPLE = `# strata reads these (flags win over the environment, which wins over this .env file).
# DATABASE_URL=postgres://user:password@localhost:5432/app   # unset: embedded PGlite database under .strata/
# SHADOW_DATABASE_URL=postgres://user:password@localhost:5432/app_shadow
# STRATA_DIR=migrations
# STRATA_SCHEMA=strata
# STRATA_LOCK_TIMEOUT=60
`;

export function initProject(config: StrataConfig): InitReport {
  const created: string[] = [];
  const kept: string[] = [];
  const ensure = (target: string, make: () => void) => {
    if (existsSync(target)) kept.push(displayPath(config.cwd, target));
    else {
      make();
      created.push(displayPath(config.cwd, target));
    }
  };
  ensure(config.dir, () => mkdirSync(config.dir, { recursive: true }));
  ensure(path.join(config.cwd, 'schema.sql'), () => writeFileSync(path.join(config.cwd, 'schema.sql'), '-- The schema at head. Regenerate it after changing migrations.\n'));
  ensure(path.join(config.cwd, '.env.example'), () => writeFileSync(path.join(config.cwd, '.env.example'), ENV_EXAMPLE));
  const gitignore = path.join(config.cwd, '.gitignore');
  const ignored = existsSync(gitignore) ? readFileSync(gitignore, 'utf8') : '';
  if (!/^\/?\.strata\/?$/m.test(ignored)) {
    appendFileSync(gitignore, `${ignored === '' || ignored.endsWith('\n') ? '' : '\n'}.strata/\n.env\n`);
    created.push('.gitignore entries (.strata/, .env)');
  }
  return { created, kept };
}
