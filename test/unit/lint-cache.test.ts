import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { lintParsed } from '../../src/lint/lint-revisions.js';
import type { FileLint } from '../../src/lint/lint-files.js';
import { memoryParseCache, type ParseCache } from '../../src/revision/parse-cache.js';
import type { Revision } from '../../src/revision/revision.js';
import type { Script } from '../../src/sql/script.js';

/**
 * Lint results kept in the parse cache (lint-cache.ts): a second lint of the same files comes from
 * the cache, and a cached file whose cross-revision answers (NOT NULL checks) would differ now, or
 * whose down.sql belongs to another up.sql, is linted again.
 */
const LOCK = "set lock_timeout = '1s';\n";

function revision(id: string, up: string, down = LOCK): { revision: Revision; up: Script; down: Script } {
  const script = (role: 'up' | 'down', body: string): Script => ({ path: `migrations/${id}/${role}.sql`, text: body, body, bodyOffset: 0, transactional: true });
  const r = { id, up: { lintAllows: [] }, down: { lintAllows: [] } } as unknown as Revision;
  return { revision: r, up: script('up', up), down: script('down', down) };
}

/** Lints as `up`'s checks would hand the files over: each script checked (in the cache, as a parse puts it there). */
async function lint(items: ReturnType<typeof revision>[], cache: ParseCache) {
  const statements = new Map<Script, never[]>();
  for (const item of items) {
    for (const script of [item.up, item.down]) {
      statements.set(script, []);
      if (!cache.get(script.body)) cache.set(script.body, { statements: [], olderGrammars: [] });
    }
  }
  const result = await lintParsed(items, statements, {}, cache);
  return result.findings.map((f) => `${f.file}:${f.line} ${f.rule}: ${f.message}`);
}

const CHECK = `${LOCK}alter table app.users add constraint users_email_nn check (email is not null) not valid;\n`;
const VALIDATE = `${LOCK}alter table app.users validate constraint users_email_nn;\n`;
const SET_NOT_NULL = `${LOCK}alter table app.users alter column email set not null;\n`;

test('a second lint of the same files comes from the cache, with the same findings', async () => {
  const cache = memoryParseCache();
  const items = [revision('a', `${LOCK}create index users_email on app.users (email);\n`), revision('b', SET_NOT_NULL)];
  const first = await lint(items, cache);
  assert.ok(first.some((f) => f.includes('create-index-not-concurrently')));
  assert.ok(first.some((f) => f.includes('set-not-null-without-check')));
  assert.equal(await lint(items, cache), first);
  // what the cache holds is what is reported: the file is not linted again
  const kept = Object.values(cache.get(items[0]!.up.body)!.lint!)[0] as FileLint;
  kept.hits[0]!.message = 'from the cache';
  assert.ok((await lint(items, cache)).includes('migrations/a/up.sql:2 create-index-not-concurrently: from the cache'));
});

test('a cached file whose NOT NULL check came from a revision not linted now is linted again', async () => {
  const cache = memoryParseCache();
  const all = [revision('a', CHECK), revision('b', VALIDATE), revision('c', SET_NOT_NULL)];
  assert.equal((await lint(all, cache)).filter((f) => f.includes('set-not-null-without-check')), []);
  assert.equal((await lint(all, cache)).filter((f) => f.includes('set-not-null-without-check')), []);
  // c alone (a and b applied already): its cached answer (validated) no longer holds
  assert.equal((await lint([all[2]!], cache)).filter((f) => f.includes('set-not-null-without-check')).length, 1);
  // a and c without the VALIDATE: the check is not valid, so SET NOT NULL still scans
  assert.equal((await lint([all[0]!, all[2]!], cache)).filter((f) => f.includes('set-not-null-without-check')).length, 1);
  assert.equal((await lint(all, cache)).filter((f) => f.includes('set-not-null-without-check')), []);
});

test("down.sql is cached per up.sql: the same down.sql under another up.sql is linted again", async () => {
  const cache = memoryParseCache();
  const down = `${LOCK}drop table app.t;\n`;
  assert.equal(await lint([revision('a', `${LOCK}create table app.t (id int);\n`, down)], cache), []);
  assert.equal((await lint([revision('b', `${LOCK}create table app.other (id int);\n`, down)], cache)).map((f) => f.split(': ')[0]), ['migrations/b/down.sql:2 drop-table']);
});

test.run();
