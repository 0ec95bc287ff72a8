import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createStrata, type GeneratedStatement, type MigrationPlan } from '../../src/index.js';
import { EXAMPLE_IDS, exampleProject } from '../helpers/e2e.js';
import { createTestDatabase, runCli, type TestDatabase } from '../helpers/harness.js';

// The proof strata new --from-schema runs before it writes anything, tested through the API with a
// generator of the test's own that gets the change wrong in one way each: a revision that does not
// pass its proof is never written, and the report says what differed. schema.sql declares one
// column more than the migrations make: note text on public.order_items.
let target: TestDatabase | undefined;
test.before(async () => {
  target = await createTestDatabase('declare_proof');
});
test.after(async () => {
  await target?.drop();
});

const statement = (sql: string, extra: Partial<GeneratedStatement> = {}): GeneratedStatement => ({ sql, identity: 'column public.order_items.note', group: 'table public.order_items', ...extra });
const ADD = statement('alter table public.order_items add column note text;');
const DROP = statement('alter table public.order_items drop column note;', { destructive: 'drops column public.order_items.note' });

/** A generator that returns this plan whatever it is asked (the keys the commands read; a generator may say more). */
const giving = (up: GeneratedStatement[], down: GeneratedStatement[]) => (): MigrationPlan => ({ ok: true, up, down, changes: [], transaction: 'on', downTransaction: 'on', renameSuggestions: [] }) as unknown as MigrationPlan;

async function withProject(run: (project: ReturnType<typeof exampleProject>, strata: ReturnType<typeof createStrata>) => Promise<void>): Promise<void> {
  const project = exampleProject();
  try {
    assert.is((await runCli(['dump'], { cwd: project.dir, env: { DATABASE_URL: target!.url } })).code, 0);
    const file = path.join(project.dir, 'schema.sql');
    const text = readFileSync(file, 'utf8');
    const end = text.indexOf('\n);', text.indexOf('create table public.order_items ('));
    project.write('schema.sql', `${text.slice(0, end)},\n    note text${text.slice(end)}`);
    await run(project, createStrata({ cwd: project.dir, databaseUrl: target!.url }));
  } finally {
    project.remove();
  }
}

const CASES: ReadonlyArray<{ name: string; up: GeneratedStatement[]; down: GeneratedStatement[]; expected: RegExp[] }> = [
  {
    name: 'a down.sql that leaves the column',
    up: [ADD], down: [],
    expected: [/after the generated down\.sql the shadow has column public\.order_items\.note, which the migrations do not make/],
  },
  {
    name: 'an up.sql that makes another schema',
    up: [statement('alter table public.order_items add column note varchar(10);')], down: [DROP],
    expected: [/after the generated up\.sql the shadow has column public\.order_items\.note otherwise than schema\.sql declares it \(type text -> character varying\(10\)\)/],
  },
  {
    name: 'an up.sql that loses the seeded rows (and rewrites the table without saying so)',
    up: [statement('truncate public.order_items;'), ADD], down: [DROP],
    expected: [/up\.sql loses rows of public\.order_items: 3 seeded, 0 after it/, /up\.sql rewrites table public\.order_items \(its storage is new: a relfilenode change\), but no statement of it says it does/],
  },
  {
    name: 'an up.sql that changes values it keeps',
    up: [statement('update public.order_items set quantity = quantity + 1;'), ADD], down: [DROP],
    expected: [/up\.sql changes the values of public\.order_items \(.*quantity.*\) in rows it keeps/],
  },
  {
    name: 'a down.sql that fails',
    up: [ADD], down: [statement('alter table public.order_items drop column no_such_column;')],
    expected: [/down\.sql of \d{14}_add_note failed on the shadow database: column "no_such_column" of relation "order_items" does not exist/],
  },
];

for (const { name, up, down, expected } of CASES) {
  test(`the proof fails, and nothing is written, for ${name}`, async () => {
    if (!target) return;
    await withProject(async (project, strata) => {
      const before = readFileSync(path.join(project.dir, 'schema.sql'), 'utf8');
      const report = await strata.newFromSchema('add note', { generate: giving(up, down) });
      assert.is(report.ok, false, JSON.stringify(report));
      if (report.ok || report.reason !== 'failed') throw new Error(JSON.stringify(report));
      const messages = report.problems.map((p) => p.message).join('\n');
      for (const pattern of expected) assert.match(messages, pattern);
      assert.equal(readdirSync(path.join(project.dir, 'migrations')).sort(), EXAMPLE_IDS, 'no revision written');
      assert.is(readFileSync(path.join(project.dir, 'schema.sql'), 'utf8'), before, 'schema.sql untouched');
    });
  });
}

test('a statement that says it rewrites its table may; the report names the tables seeded and rewritten', async () => {
  if (!target) return;
  await withProject(async (_project, strata) => {
    const rewrite = statement('alter table public.products alter column price_cents type bigint;', { identity: 'column public.products.price_cents', group: 'table public.products', rewrites: 'table public.products' });
    const back = statement('alter table public.products alter column price_cents type integer;', { identity: 'column public.products.price_cents', group: 'table public.products', rewrites: 'table public.products' });
    const report = await strata.newFromSchema('add note', { generate: giving([ADD, rewrite, back], [DROP]) });
    if (!report.ok || report.result !== 'created') throw new Error(JSON.stringify(report));
    assert.equal(report.proof.rewritten, { up: ['table public.products'], down: [] });
    assert.equal(report.proof.seeded.map((s) => [s.table, s.isChanged]), [['table public.customers', false], ['table public.orders', false], ['table public.products', false], ['table public.order_items', true]]);
    assert.equal(report.proof.unseeded, []);
  });
});

test.run();
