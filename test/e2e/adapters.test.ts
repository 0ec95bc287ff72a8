import { rmSync } from 'node:fs';
import path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { adapterTargets, type AdapterName, type AdapterTarget, type Query } from '../helpers/adapters.js';
import { EXAMPLE_IDS, exampleProject, expectExit, expectText, revisionFiles } from '../helpers/e2e.js';

// The key scenarios of the workflow, the same on PostgreSQL and on the embedded PGlite database:
// each target runs the suite below in its own project, in order (each test starts where the one
// before it left the database); the last suite compares what the two printed.
const targets = await adapterTargets('adapters', exampleProject);
const [, , ORDERS, VIEW, INDEX] = EXAMPLE_IDS as [string, string, string, string, string];
const FAILING = '20261201090000_add_discounts';

/** what each target printed, for the comparison at the end */
const printed = new Map<AdapterName, { sqlUp: string; history: string; log: string[] }>();

/** The example history's objects in public: name -> relkind ('r' table, 'v' view, 'i' index). */
async function relations(query: Query): Promise<Record<string, string>> {
  const rows = await query<{ relname: string; relkind: string }>(
    "select relname, relkind from pg_class where relnamespace = 'public'::regnamespace and relkind in ('r', 'v', 'i') order by relname");
  return Object.fromEntries(rows.map((r) => [r.relname, r.relkind]));
}

async function appliedIds(query: Query): Promise<string[]> {
  return (await query<{ id: string }>('select id from strata.revisions order by id')).map((r) => r.id);
}

async function eventList(query: Query): Promise<string[]> {
  const rows = await query<{ action: string; revision_id: string; ok: boolean }>('select action, revision_id, ok from strata.events order by id');
  return rows.map((e) => `${e.action} ${e.revision_id} ${e.ok}`);
}

/** [valid, ready] of the index the Transaction: off revision builds concurrently, or null when it does not exist */
async function concurrentIndex(query: Query): Promise<[boolean, boolean] | null> {
  const [row] = await query<{ valid: boolean; ready: boolean }>(
    "select indisvalid as valid, indisready as ready from pg_index where indexrelid = to_regclass('public.orders_customer_id_created_at_idx')");
  return row ? [row.valid, row.ready] : null;
}

const ALL_RELATIONS = {
  customers: 'r', customers_email_key: 'i', customers_pkey: 'i',
  order_items: 'r', order_items_pkey: 'i', order_items_product_id_idx: 'i', order_totals: 'v',
  orders: 'r', orders_customer_id_created_at_idx: 'i', orders_pkey: 'i',
  products: 'r', products_pkey: 'i', products_sku_key: 'i',
};
const { orders_customer_id_created_at_idx: _index, ...WITHOUT_INDEX } = ALL_RELATIONS;

function defineScenarios(target: AdapterTarget): void {
  const it = suite(target.name);
  const strata = target.run;
  const output = { sqlUp: '', history: '', log: [] as string[] };
  printed.set(target.name, output);
  it.after(() => target.remove());

  it('up applies the history to head: one line each, the objects, a tracking row and an up event each', async () => {
    const result = await strata('up');
    expectExit(result, 0);
    for (const id of EXAMPLE_IDS) assert.match(result.stdout, new RegExp(`^applied\\s+${id} \\d+ ms$`, 'm'));
    assert.match(result.stdout, /^5 applied in \d+ ms$/m);
    expectText(result.stderr, `strata: ${target.label}`);
    await target.inspect(async (query) => {
      assert.equal(await relations(query), ALL_RELATIONS);
      assert.equal(await appliedIds(query), EXAMPLE_IDS);
      assert.equal(await eventList(query), EXAMPLE_IDS.map((id) => `up ${id} true`));
      const [tagged] = await query<{ tags: string[]; message: string }>('select tags, message from strata.revisions where id = $1', [ORDERS]);
      assert.equal([tagged!.tags, tagged!.message], [['v1.0'], 'Create orders and order items']);
    });
  });

  it('status --json: every revision applied, at head, the database named', async () => {
    const result = await strata('status', '--json');
    expectExit(result, 0);
    const report = JSON.parse(result.stdout) as { ok: boolean; counts: Record<string, number>; current: string; head: string; database: string; problems: unknown[]; revisions: Array<{ id: string; state: string }> };
    assert.equal(report.counts, { applied: 5, pending: 0, edited: 0, missing: 0 });
    assert.equal([report.ok, report.current, report.head, report.database, report.problems], [true, INDEX, INDEX, target.label, []]);
    assert.equal(report.revisions.map((r) => `${r.id} ${r.state}`), EXAMPLE_IDS.map((id) => `${id} applied`));
    assert.is(result.stderr, '', '--json keeps stderr quiet');
  });

  // moved unchanged from pglite.test.ts, where it ran on PGlite alone
  it('down base reverts everything, up applies it again', async () => {
    const down = await strata('down', 'base');
    expectExit(down, 0);
    assert.equal([...down.stdout.matchAll(/^reverted (\S+)/gm)].map((m) => m[1]), [...EXAMPLE_IDS].reverse());
    const up = await strata('up');
    expectExit(up, 0);
    assert.match(up.stdout, /^5 applied in \d+ ms$/m);
  });

  it('down -1 runs the Transaction: off down.sql: the index is gone, status --exit-code 1 with one pending', async () => {
    const result = await strata('down', '-1');
    expectExit(result, 0);
    assert.match(result.stdout, new RegExp(`^reverted ${INDEX} \\d+ ms$`, 'm'));
    assert.match(result.stdout, /^1 reverted in \d+ ms$/m);
    const status = await strata('status', '--exit-code');
    expectExit(status, 1);
    assert.match(status.stdout, new RegExp(`^pending\\s+${INDEX}`, 'm'));
    expectText(status.stdout, `4 applied, 1 pending; at ${VIEW}`);
    await target.inspect(async (query) => {
      assert.equal(await relations(query), WITHOUT_INDEX);
      assert.is(await concurrentIndex(query), null);
      assert.equal(await appliedIds(query), EXAMPLE_IDS.slice(0, 4));
    });
  });

  it('sql up prints the script of the pending revision and runs nothing', async () => {
    const result = await strata('sql', 'up');
    expectExit(result, 0);
    expectText(result.stdout,
      '-- strata sql up: apply 1 revision',
      `-- planned against: the revisions applied in ${target.label} (up to ${VIEW})`,
      `-- revision 1 of 1: ${INDEX} (up, Transaction: off: statement by statement, outside any transaction)`,
      'create index concurrently if not exists orders_customer_id_created_at_idx');
    output.sqlUp = result.stdout;
    await target.inspect(async (query) => {
      assert.is(await concurrentIndex(query), null, 'the script was printed, not run');
      assert.equal(await appliedIds(query), EXAMPLE_IDS.slice(0, 4));
    });
  });

  it('up of the Transaction: off revision: outside a transaction, the index built valid', async () => {
    const result = await strata('up', '--json');
    expectExit(result, 0);
    const report = JSON.parse(result.stdout) as { ok: boolean; steps: Array<{ id: string; direction: string; transactional: boolean }> };
    assert.is(report.ok, true);
    assert.equal(report.steps.map((s) => [s.id, s.direction, s.transactional]), [[INDEX, 'up', false]]);
    await target.inspect(async (query) => {
      assert.equal(await concurrentIndex(query), [true, true]);
      assert.equal(await appliedIds(query), EXAMPLE_IDS);
    });
  });

  it('redo reverts the newest revision and applies it again', async () => {
    const [before] = await target.inspect((query) => query<{ at: Date }>('select applied_at as at from strata.revisions where id = $1', [INDEX]));
    const result = await strata('redo');
    expectExit(result, 0);
    assert.match(result.stdout, new RegExp(`^reverted ${INDEX} \\d+ ms\\napplied\\s+${INDEX} \\d+ ms$`, 'm'));
    expectText(result.stdout, '1 reverted, 1 applied');
    await target.inspect(async (query) => {
      const [after] = await query<{ at: Date }>('select applied_at as at from strata.revisions where id = $1', [INDEX]);
      assert.ok(after!.at > before!.at, 'applied again');
      assert.equal((await eventList(query)).slice(-2), [`down ${INDEX} true`, `up ${INDEX} true`]);
      assert.equal(await concurrentIndex(query), [true, true]);
    });
  });

  it('stamp -1 forgets the newest without its down.sql, stamp head records it again without its up.sql', async () => {
    const back = await strata('stamp', '-1');
    expectExit(back, 0);
    expectText(back.stdout, `unstamped ${INDEX}`, '1 unstamped');
    await target.inspect(async (query) => {
      assert.equal(await appliedIds(query), EXAMPLE_IDS.slice(0, 4));
      assert.equal(await relations(query), ALL_RELATIONS, 'the index is still there: its down.sql did not run');
    });
    const forward = await strata('stamp', 'head');
    expectExit(forward, 0);
    expectText(forward.stdout, `stamped   ${INDEX}`, '1 stamped');
    await target.inspect(async (query) => {
      assert.equal(await appliedIds(query), EXAMPLE_IDS);
      assert.equal((await eventList(query)).slice(-2), [`unstamp ${INDEX} true`, `stamp ${INDEX} true`]);
    });
    expectExit(await strata('status', '--exit-code'), 0);
  });

  // the first half moved unchanged from pglite.test.ts, where it ran on PGlite alone
  it('a failing revision: file:line:col, exit 1, the database at the previous boundary', async () => {
    // order_items exists only if the example history really ran on this database
    for (const [rel, text] of Object.entries(revisionFiles('20261201090000_add_discounts', INDEX,
      "-- remises en €\nalter table order_items add column discount_cents integer not null default 0;\nselect 'é', nocol from order_items;\n", ''))) {
      target.project.write(rel, text);
    }
    const result = await strata('up');
    expectExit(result, 1);
    expectText(result.stderr,
      'migrations/20261201090000_add_discounts/up.sql:5:13: error 42703: column "nocol" does not exist',
      'the revision was rolled back; the database is as it was before 20261201090000_add_discounts');
    const status = await strata('status', '--exit-code');
    expectExit(status, 1);
    assert.match(status.stdout, /^pending\s+20261201090000_add_discounts/m);
    expectText(status.stdout, `5 applied, 1 pending; at ${INDEX}`);

    // nothing of it half-applied: the column its first statement added is gone; the failure is logged
    await target.inspect(async (query) => {
      const columns = await query<{ name: string }>(
        "select attname as name from pg_attribute where attrelid = 'public.order_items'::regclass and attnum > 0 and not attisdropped order by attnum");
      assert.equal(columns.map((c) => c.name), ['order_id', 'product_id', 'quantity', 'unit_price_cents']);
      assert.equal(await appliedIds(query), EXAMPLE_IDS);
      assert.equal((await eventList(query)).at(-1), `up ${FAILING} false`);
    });
  });

  it('history marks head and current; log lists the events newest first, the failure with its location', async () => {
    const history = await strata('history');
    expectExit(history, 0);
    const lines = history.stdout.trimEnd().split('\n');
    assert.is(lines.length, 6);
    assert.match(lines[0]!, new RegExp(`^pending\\s+${INDEX} -> ${FAILING} \\(head\\)`));
    assert.match(lines[1]!, new RegExp(`^applied\\s+${VIEW} -> ${INDEX} \\(current\\), Index orders by customer, newest first$`));
    expectText(lines[3]!, `-> ${ORDERS}, Create orders and order items [v1.0]`);
    assert.match(lines[5]!, /^applied\s+<base> -> /);
    output.history = history.stdout;

    const log = await strata('log', '--json', '--limit', '100');
    expectExit(log, 0);
    const report = JSON.parse(log.stdout) as { ok: boolean; database: string; events: Array<{ action: string; revision: string; ok: boolean; error: Record<string, unknown> | null }> };
    assert.equal([report.ok, report.database], [true, target.label]);
    const events = report.events.map((e) => `${e.action} ${e.revision} ${e.ok}`);
    assert.is(events[0], `up ${FAILING} false`);
    assert.equal(events.slice(1, 5), [`stamp ${INDEX} true`, `unstamp ${INDEX} true`, `up ${INDEX} true`, `down ${INDEX} true`]);
    expectText(JSON.stringify(report.events[0]!.error), `migrations/${FAILING}/up.sql`, '42703');
    assert.ok(report.events.slice(1).every((e) => e.error === null));
    output.log = events;

    rmSync(path.join(target.project.dir, 'migrations', FAILING), { recursive: true, force: true });
  });

  it.run();
}

for (const target of targets) defineScenarios(target);

const both = suite('postgres and pglite');
const compare = targets.length === 2 ? both : both.skip;

compare('strata sql up printed the same script on both, but for the name of the database', () => {
  const [postgres, pglite] = targets as [AdapterTarget, AdapterTarget];
  const script = (target: AdapterTarget) => printed.get(target.name)!.sqlUp.split(target.label).join('<database>');
  assert.ok(script(postgres).length > 0 && script(pglite).length > 0, 'both printed a script');
  assert.fixture(script(pglite), script(postgres));
});

compare('history and the events log read the same on both', () => {
  assert.ok(printed.get('postgres')!.history.length > 0, 'history was printed');
  assert.fixture(printed.get('pglite')!.history, printed.get('postgres')!.history);
  assert.equal(printed.get('pglite')!.log, printed.get('postgres')!.log);
});

both.run();
