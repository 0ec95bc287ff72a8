import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { memoryParseCache } from '../../src/revision/parse-cache.js';
import { checkScripts, type ScriptToCheck } from '../../src/revision/check-scripts.js';
import { forEachTarget } from '../../src/fleet/schedule.js';
import { parseTargetsFile, targetsFromRows } from '../../src/fleet/targets.js';
import { urlOf } from '../../src/fleet/up-fleet.js';

test('a targets file: names, URLs alone, comments, blank lines, schema= and search_path=', () => {
  const result = parseTargetsFile([
    '# tenants',
    '',
    'eu=postgres://app:pw@db1:5432/app',
    '  postgres://db2/app  ',
    'a=postgres://db3/shared schema=strata_a search_path=tenant_a,public',
    'postgres://db3/shared schema=strata_b',
  ].join('\r\n'), 'targets.txt');
  assert.ok(result.ok);
  if (!result.ok) return;
  assert.equal(result.targets.map((t) => [t.name, t.url, t.schema, t.searchPath, t.origin]), [
    ['eu', 'postgres://app:pw@db1:5432/app', undefined, undefined, 'targets.txt:3'],
    ['db2/app', 'postgres://db2/app', undefined, undefined, 'targets.txt:4'],
    ['a', 'postgres://db3/shared', 'strata_a', 'tenant_a,public', 'targets.txt:5'],
    ['db3/shared#strata_b', 'postgres://db3/shared', 'strata_b', undefined, 'targets.txt:6'],
  ]);
});

test('a bad targets file: each bad line named by file:line, passwords hidden', () => {
  const result = parseTargetsFile([
    'a=postgres://u:Secret99@h/db',
    'a=postgres://h/other',
    'http://u:Secret99@h/db',
    'b=postgres://h/db schema=1bad',
    'c=postgres://h/db search_path=a;b',
    'd=postgres://h/db?options=-csearch_path%3Dx search_path=y',
    'not a url',
    '# only comments below',
  ].join('\n'), 'fleet.txt');
  assert.ok(!result.ok);
  if (result.ok) return;
  assert.equal(result.problems.map((p) => `${p.file}:${p.line}`), ['fleet.txt:2', 'fleet.txt:3', 'fleet.txt:4', 'fleet.txt:5', 'fleet.txt:6', 'fleet.txt:7']);
  assert.ok(result.problems.every((p) => p.hint && !p.message.includes('Secret99') && !p.hint.includes('Secret99')), JSON.stringify(result.problems));
  assert.match(result.problems[0]!.message, "target 'a' is listed twice (first at fleet.txt:1)");
  const empty = parseTargetsFile('# nothing\n\n', 'fleet.txt');
  assert.ok(!empty.ok && empty.problems[0]!.message.includes('lists no database'));
});

test('the rows of --targets-query: url, or name and url; other columns are named in the error', () => {
  const rows = targetsFromRows(['name', 'url'], [{ name: 'x', url: 'postgres://h/x' }, { name: 'y', url: 'postgres://h/y' }]);
  assert.ok(rows.ok && rows.targets.map((t) => t.origin).join() === 'row 1 of --targets-query,row 2 of --targets-query');
  const wrong = targetsFromRows(['id', 'dsn'], [{ id: 1, dsn: 'postgres://h/x' }]);
  assert.ok(!wrong.ok && wrong.problems[0]!.message.includes("returned the columns 'id', 'dsn'; expected url, or name and url"));
  const bad = targetsFromRows(['url'], [{ url: 'postgres://h/x' }, { url: null }]);
  assert.ok(!bad.ok && bad.problems[0]!.message.startsWith('row 2 of --targets-query: '));
});

test('search_path= becomes the session default in the URL (options=-c search_path=...)', () => {
  const target = { name: 'a', url: 'postgres://h/db?sslmode=disable', schema: undefined, searchPath: 'tenant_a,public', origin: 'x:1' };
  assert.is(urlOf(target), 'postgres://h/db?sslmode=disable&options=-c%20search_path%3Dtenant_a%2Cpublic');
  assert.is(urlOf({ ...target, url: 'postgres://h/db' }), 'postgres://h/db?options=-c%20search_path%3Dtenant_a%2Cpublic');
  assert.is(urlOf({ ...target, searchPath: undefined }), target.url);
});

test('a fleet parses each script once: its runs share one parse cache (memoryParseCache when there is no cache folder)', async () => {
  const cache = memoryParseCache();
  // a new script object per run, as each target's plan makes its own
  const entry = (): ScriptToCheck => ({ script: { path: 'm/1/up.sql', text: '--! Parent: base\n\nselect 1;', body: 'select 1;', bodyOffset: 18, transactional: true }, role: 'up' });
  assert.is(cache.get('select 1;'), undefined);
  const first = await checkScripts([entry()], cache);
  assert.is([...first.statements.values()][0]?.length, 1);
  const kept = cache.get('select 1;');
  assert.ok(kept, 'the first run leaves the parse in the cache');
  assert.is('ast' in kept!.statements[0]!, false, 'no syntax tree is kept');
  const runs = await Promise.all(Array.from({ length: 8 }, async () => {
    const mine = entry();
    return (await checkScripts([mine], cache)).statements.get(mine.script);
  }));
  assert.ok(runs.every((statements) => statements === kept!.statements), 'every later run takes the cached statements, not a parse of its own');
});

test('targets run N at a time; --fail-fast starts no new one after a failure', async () => {
  let running = 0;
  let most = 0;
  const started: number[] = [];
  const results = await forEachTarget(10, { parallel: 3, failFast: true }, async (index) => {
    started.push(index);
    running++;
    most = Math.max(most, running);
    await new Promise((resolve) => setTimeout(resolve, 5));
    running--;
    return index === 4 ? 'failed' : 'ok';
  }, (result) => result === 'failed');
  assert.is(most, 3);
  assert.ok(!started.includes(9) && results[9] === undefined, `started ${started}`);
  assert.is(results[4], 'failed');
  const all = await forEachTarget(5, { parallel: 2, failFast: false }, async (index) => (index === 0 ? 'failed' : 'ok'), (r) => r === 'failed');
  assert.equal(all, ['failed', 'ok', 'ok', 'ok', 'ok']);
});

test.run();
