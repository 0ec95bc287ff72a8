import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { expectExit, expectNoText, expectText, projectWithDatabase, revisionFiles } from '../helpers/e2e.js';
import { makeProject, runCli } from '../helpers/harness.js';

// The rows strata new --from-schema seeds for its proof, on histories that insert rows of their own
// (a first user, a list of kinds), as most real ones do: the seeded rows must not collide with
// them, and when a table the change touches cannot be seeded the report says so, not that the
// change touches no table.
const ID = '20240301090000_start';
const { db, project, run } = await projectWithDatabase('declare_seeding', revisionFiles(ID, 'base', [
  'create table public.kinds (id int generated always as identity primary key, label text not null unique);',
  "insert into public.kinds (label) values ('first'), ('second');",
  'create table public.things (id int generated always as identity primary key, kind_id int not null references public.kinds, spot point not null);',
  '',
].join('\n'), 'drop table public.things;\ndrop table public.kinds;\n', ['--! Message: start']));

/** schema.sql as strata dump writes it, with `column` declared last in public.<table>. */
async function declare(table: string, column: string): Promise<void> {
  expectExit(await run('dump'), 0, 'dump');
  const file = path.join(project.dir, 'schema.sql');
  const text = readFileSync(file, 'utf8');
  const end = text.indexOf('\n);', text.indexOf(`create table public.${table} (`));
  project.write('schema.sql', `${text.slice(0, end)},\n    ${column}${text.slice(end)}`);
}

test('rows the migrations inserted do not keep the seeded ones out: the change to the table they are in is proven with its data', async () => {
  if (!db) return;
  await declare('kinds', 'note text');
  const result = await run('new', 'kinds note', '--from-schema', '--json');
  expectExit(result, 0, result.stdout + result.stderr);
  const report = JSON.parse(result.stdout) as { proof: { seeded: Array<{ table: string; rows: number; isChanged: boolean }>; unseeded: unknown[] } };
  assert.equal(report.proof.unseeded, []);
  assert.equal(report.proof.seeded.map((s) => [s.table, s.isChanged, s.rows]), [['table public.kinds', true, 3]]);
});

test('a table the change touches that strata cannot seed is named, and the report does not say the change touches no table', async () => {
  if (!db) return;
  await declare('things', 'note text');
  const result = await run('new', 'things note', '--from-schema');
  expectExit(result, 0, result.stdout + result.stderr);
  expectText(result.stdout, 'not seeded: public.things: column spot is of type point, which strata makes no values of');
  expectNoText(result.stdout, 'it changes no table that was there');
  expectText(result.stdout, 'proven on the shadow: up.sql gives schema.sql\'s schema, down.sql the migrations\' again; no rows could be seeded in the tables it changes (below)');
});

test('a column of an extension type strata knows, written with its schema (public.citext), is seeded', async () => {
  if (!db) return;
  const other = makeProject(revisionFiles('20240301090000_people', 'base', [
    'create extension if not exists citext;',
    'create table public.people (id int primary key, email citext not null unique);',
    '',
  ].join('\n'), 'drop table public.people;\ndrop extension citext;\n'));
  const env = { DATABASE_URL: db.url };
  try {
    expectExit(await runCli(['dump'], { cwd: other.dir, env }), 0, 'dump');
    const file = path.join(other.dir, 'schema.sql');
    const text = readFileSync(file, 'utf8');
    const end = text.indexOf('\n);', text.indexOf('create table public.people ('));
    other.write('schema.sql', `${text.slice(0, end)},\n    note text${text.slice(end)}`);
    const result = await runCli(['new', 'people note', '--from-schema', '--json'], { cwd: other.dir, env });
    expectExit(result, 0, result.stdout + result.stderr);
    const report = JSON.parse(result.stdout) as { proof: { seeded: Array<{ table: string }>; unseeded: unknown[] } };
    assert.equal(report.proof.unseeded, []);
    assert.equal(report.proof.seeded.map((s) => s.table), ['table public.people']);
  } finally {
    other.remove();
  }
});

test.run();
