import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { StrataConfig } from '../config.js';
import type { Database } from '../db/database.js';
import { withShadow } from '../db/shadow.js';
import { problem, type Problem, type Unavailable } from '../errors.js';
import type { Snapshot } from '../schema/model/snapshot.js';
import { loadSqlParser } from '../sql/parser.js';
import { splitStatements } from '../sql/split-statements.js';
import { lineColumnAt, renderCodeFrame, utf16IndexFromCodePointPosition } from '../text/source-position.js';
import { SCHEMA_FILE } from './dump.js';
import { snapshotShadow } from './migrate-shadow.js';
import type { ProofEvents } from './proof-events.js';

/**
 * schema.sql read as a declaration of a schema: the head its header names (what check and the
 * declarative commands compare with the migrations' head), and its objects, loaded into a shadow
 * of their own and read back as a snapshot.
 */

export type SchemaFileRead = { ok: true; text: string } | { ok: false; problem: Problem };

/** schema.sql's text, or the problem (missing, unreadable) with how to make it. */
export function readSchemaFile(config: StrataConfig): SchemaFileRead {
  const file = path.join(config.cwd, SCHEMA_FILE);
  if (!existsSync(file)) return { ok: false, problem: problem('SCHEMA_SQL_MISSING', { file: SCHEMA_FILE, message: `${SCHEMA_FILE} is missing`, hint: 'run strata dump to write it' }) };
  try {
    return { ok: true, text: readFileSync(file, 'utf8') };
  } catch (error) {
    return { ok: false, problem: problem('FILE_UNREADABLE', { file: SCHEMA_FILE, message: `cannot read ${SCHEMA_FILE}: ${(error as Error).message}`, hint: 'check its permissions' }) };
  }
}

/**
 * The revision schema.sql's header names (`-- head: <id>`, as strata dump writes it): null for
 * `base (no revisions)`; `named: false` for a file without that line (written by hand).
 */
export function schemaFileHead(text: string): { named: false } | { named: true; head: string | null } {
  const line = /^-- head: (.*)$/m.exec(text)?.[1]?.trim();
  if (line === undefined) return { named: false };
  return { named: true, head: line.startsWith('base') ? null : line };
}

export type LoadedSchemaFile =
  | { ok: true; snapshot: Snapshot; shadow: string }
  /** the file does not load: the server's error, placed in the file */
  | { ok: false; reason: 'not loaded'; error: { message: string; code: string; line?: number; column?: number; codeFrame?: string } }
  | Unavailable;

/** schema.sql's text run on an empty shadow (a shadow of its own, gone after) and read back. */
export function loadSchemaFile(config: StrataConfig, text: string, events: ProofEvents): Promise<LoadedSchemaFile> {
  return startSchemaFileLoad(config, text, events).closed;
}

/**
 * The same, heard twice: `loaded` as soon as the file is read back, and `closed` once its shadow is
 * gone. A caller with other work to do (the declarative commands' proof) goes on at `loaded`, and
 * awaits `closed` before it returns. Both carry the same result (or error). `hold`: the shadow is
 * kept until it settles, so that the caller's other shadow and this one are dropped at the same
 * time (the declarative commands, declared-schema.ts).
 */
export function startSchemaFileLoad(config: StrataConfig, text: string, events: ProofEvents, hold?: Promise<unknown>): { loaded: Promise<LoadedSchemaFile>; closed: Promise<LoadedSchemaFile> } {
  let hear!: (result: LoadedSchemaFile) => void;
  let fail!: (error: unknown) => void;
  const loaded = new Promise<LoadedSchemaFile>((resolve, reject) => { hear = resolve; fail = reject; });
  const closed = withShadow(config, { onNote: events.note }, async (shadow): Promise<LoadedSchemaFile> => {
    events.shadow(shadow.description);
    const result = await readBack(shadow.db, config, text, shadow.description);
    hear(result);
    await hold?.catch(() => {});
    return result;
  });
  // a shadow that could not be had, or an error, reaches `loaded` here (a promise settles once)
  closed.then(hear, fail);
  // the same error is the caller's through `closed`, which it always awaits
  loaded.catch(() => {});
  return { loaded, closed };
}

async function readBack(db: Database, config: StrataConfig, text: string, shadow: string): Promise<LoadedSchemaFile> {
  const result = await db.runScript(text);
  if (!result.ok) {
    const { message, code, position } = result.error;
    const at = position === undefined ? await failedStatementAt(text, result.completedStatements) : lineColumnAt(text, utf16IndexFromCodePointPosition(text, position));
    return { ok: false, reason: 'not loaded', error: { message, code, ...(at ? { ...at, codeFrame: renderCodeFrame(text, at.line, at.column) } : {}) } };
  }
  return { ok: true, snapshot: await snapshotShadow(db, config), shadow };
}

/**
 * Where the statement that failed starts, for an error without a position (relation "x" does not
 * exist, in a foreign key): the server ran `completed` statements before it, one reply each.
 */
async function failedStatementAt(text: string, completed: number): Promise<{ line: number; column: number } | undefined> {
  await loadSqlParser();
  const split = splitStatements(text);
  const statement = split.ok ? split.statements[completed] : undefined;
  return statement ? lineColumnAt(text, statement.start) : undefined;
}

/**
 * Tables both snapshots have, with the same columns, in another order: what the attribute diff
 * cannot see (PostgreSQL adds a column at the end; schema.sql may declare it between two others).
 * The order is read from each table's CREATE TABLE, the one place the snapshot keeps it.
 */
export function differentlyMade(before: Snapshot, after: Snapshot): Array<{ identity: string; detail: string }> {
  const old = new Map(before.objects.map((o) => [o.identity, o]));
  const found: Array<{ identity: string; detail: string }> = [];
  for (const object of after.objects) {
    const was = old.get(object.identity);
    if (object.kind !== 'table' || !was || was.create === object.create) continue;
    const [a, b] = [columnOrder(was.create), columnOrder(object.create)];
    if (a.join() !== b.join() && [...a].sort().join() === [...b].sort().join()) found.push({ identity: object.identity, detail: `columns in the order ${b.join(', ')}, not ${a.join(', ')}` });
  }
  return found;
}

/** The columns of a CREATE TABLE as schema.sql writes it (one per line, indented four spaces), in order. */
function columnOrder(create: string): string[] {
  return [...create.matchAll(/^ {4}("(?:[^"]|"")+"|[^\s"]+) /gm)].map((m) => m[1]!);
}
