import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createTestDatabase, makeProject, runCli, spawnCli, type TestDatabase } from '../helpers/harness.js';
import { generateHistory, writeHistory } from '../helpers/history.js';
import { random } from '../helpers/random.js';

const REVISIONS = 200;
const KILLS = 20;
// Reproduce a failing run with CRASH_SEED=<the seed it printed>.
const seed = Number(process.env.CRASH_SEED ?? Math.floor(Math.random() * 2 ** 31));

const db = await createTestDatabase('crash');
const project = makeProject();
// Each revision: a table with a foreign key to the previous one, a PL/pgSQL function and a trigger.
writeHistory(project.dir, generateHistory(REVISIONS, (i) => ({
  up: `create table t${i} (id int primary key, previous_id int${i > 1 ? ` references t${i - 1} (id)` : ''});
create function f${i}() returns trigger language plpgsql as $$
begin
  new.previous_id := coalesce(new.previous_id, new.id - 1);
  return new;
end
$$;
create trigger t${i}_stamp before insert on t${i} for each row execute function f${i}();
`,
  down: `drop table t${i};\ndrop function f${i}();\n`,
})));

test.after(async () => {
  project.remove();
  await db?.drop();
});

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** ms from spawn to the first "applied" line, when there was one */
  firstAppliedMs: number | undefined;
  elapsedMs: number;
}

/** `strata up` as a child we can kill; `onProgress` hears how many revisions it has reported applied. */
function startUp(databaseUrl: string, onProgress: (applied: number) => void = () => {}): { kill(): void; done: Promise<Run> } {
  const started = performance.now();
  const up = spawnCli(['up'], { cwd: project.dir, env: { DATABASE_URL: databaseUrl } });
  let firstAppliedMs: number | undefined;
  up.onStdout((stdout) => {
    const applied = stdout.match(/^applied /gm)?.length ?? 0;
    if (firstAppliedMs === undefined && applied > 0) firstAppliedMs = performance.now() - started;
    onProgress(applied);
  });
  const done = up.result.then(({ code, signal, stdout, stderr }) => ({ code, signal, stdout, stderr, firstAppliedMs, elapsedMs: performance.now() - started }));
  return { kill: () => up.kill(), done };
}

/** The server ends a dead client's session on its own time; wait until strata's session is gone. */
async function waitForStrataSessions(database: TestDatabase): Promise<void> {
  for (let i = 0; i < 250; i++) {
    const rows = await database.query<{ n: number }>(
      "select count(*)::int as n from pg_stat_activity where datname = current_database() and application_name = 'strata'");
    if (rows[0]!.n === 0) return;
    await sleep(20);
  }
  throw new Error('strata sessions still open 5 s after the process ended');
}

interface State {
  recorded: number[];
  upEvents: number[];
  tables: number[];
  functions: number[];
  triggers: number[];
}

const numbers = (rows: { name: string }[], pattern: RegExp) =>
  rows.map((r) => Number(pattern.exec(r.name)?.[1] ?? NaN)).sort((a, b) => a - b);

async function readState(database: TestDatabase): Promise<State> {
  const hasTracking = (await database.query<{ t: string | null }>("select to_regclass('strata.revisions')::text as t"))[0]!.t !== null;
  const recorded = hasTracking ? await database.query<{ name: string }>('select id as name from strata.revisions') : [];
  const upEvents = hasTracking ? await database.query<{ name: string }>("select revision_id as name from strata.events where action = 'up' and ok") : [];
  const tables = await database.query<{ name: string }>(
    "select c.relname as name from pg_class c join pg_namespace n on n.oid = c.relnamespace where n.nspname = 'public' and c.relkind = 'r'");
  const functions = await database.query<{ name: string }>(
    "select p.proname as name from pg_proc p join pg_namespace n on n.oid = p.pronamespace where n.nspname = 'public'");
  const triggers = await database.query<{ name: string }>('select tgname as name from pg_trigger where not tgisinternal');
  return {
    recorded: numbers(recorded, /_r(\d+)$/),
    upEvents: numbers(upEvents, /_r(\d+)$/),
    tables: numbers(tables, /^t(\d+)$/),
    functions: numbers(functions, /^f(\d+)$/),
    triggers: numbers(triggers, /^t(\d+)_stamp$/),
  };
}

/** Recorded revisions are exactly those whose objects exist, and they are a prefix of the chain. */
function assertConsistent(state: State, context: string): number {
  const n = state.recorded.length;
  const prefix = Array.from({ length: n }, (_, i) => i + 1);
  assert.equal(state.recorded, prefix, `${context}: recorded revisions are a prefix of the chain`);
  assert.equal(state.upEvents, prefix, `${context}: one 'up' event per recorded revision`);
  assert.equal(state.tables, prefix, `${context}: tables match the recorded revisions`);
  assert.equal(state.functions, prefix, `${context}: functions match the recorded revisions`);
  assert.equal(state.triggers, prefix, `${context}: triggers match the recorded revisions`);
  return n;
}

async function resetToBase(database: TestDatabase): Promise<void> {
  await database.query('drop schema if exists strata cascade; drop schema public cascade; create schema public');
}


(db ? test : test.skip)(`kill -9 of 'strata up' at ${KILLS} random moments of a ${REVISIONS}-revision run`, async () => {
  const database = db!;
  // One full run first, to know when the revisions start and how long the whole run takes.
  const full = await startUp(database.url).done;
  assert.is(full.code, 0, full.stderr);
  assert.is(assertConsistent(await readState(database), 'full run'), REVISIONS);
  const firstMs = full.firstAppliedMs ?? 0;
  const spanMs = full.elapsedMs - firstMs;

  const next = random(seed);
  const perRevisionMs = spanMs / REVISIONS;
  const interruptedAt: number[] = [];
  for (let k = 0; k < KILLS; k++) {
    await resetToBase(database);
    // The first kill lands while strata starts, connects, plans and creates its tracking schema;
    // the others at stratified points of the run (one in each nineteenth of the revisions), each
    // a random fraction of one revision's time after that revision was reported, so that kills
    // fall inside transactions, between statements and around commits. Targets stop short of the
    // last tenth: the batch in flight (about 40 ms of revisions) may finish after a kill, and
    // near the end that batch is the rest of the run.
    const target = k === 0 ? 0 : Math.floor(((k - 1 + next()) / (KILLS - 1)) * REVISIONS * 0.9);
    const jitter = k === 0 ? next() * firstMs : next() * perRevisionMs;
    const context = `kill ${k + 1} after ${target} revisions + ${jitter.toFixed(1)} ms (seed ${seed})`;
    let armed = false;
    const run = startUp(database.url, (applied) => {
      if (armed || applied < target) return;
      armed = true;
      setTimeout(() => run.kill(), jitter);
    });
    if (target === 0) {
      armed = true;
      setTimeout(() => run.kill(), jitter);
    }
    const killed = await run.done;
    await waitForStrataSessions(database);
    const applied = assertConsistent(await readState(database), context);
    if (killed.signal === 'SIGKILL' && applied < REVISIONS) interruptedAt.push(applied);

    const finish = await runCli(['up'], { cwd: project.dir, env: { DATABASE_URL: database.url } });
    assert.is(finish.code, 0, `${context}: the plain re-run failed:\n${finish.output}`);
    assert.is(assertConsistent(await readState(database), `${context}, after re-run`), REVISIONS);
    if (applied < REVISIONS) assert.match(finish.stdout, `${REVISIONS - applied} applied`, `${context}: the re-run applied the rest`);
  }
  console.log(`seed ${seed}: full run ${Math.round(full.elapsedMs)} ms (first revision at ${Math.round(firstMs)} ms); kills stopped the run after ${interruptedAt.join(', ')} revisions`);
  // Most kills must land in the middle of the run, or the test proves little. The server finishes
  // the message in flight (a batch of about 40 ms of revisions), so a kill near the end of the
  // run may let it complete: a few kills are allowed to find the run done.
  assert.ok(interruptedAt.length >= KILLS - 4,
    `only ${interruptedAt.length} of ${KILLS} kills interrupted the run mid-way (at ${interruptedAt.join(', ')}; seed ${seed}, run ${Math.round(full.elapsedMs)} ms)`);
});

(db ? test : test.skip)('pg_terminate_backend of strata\'s connection mid-revision: clear error, nothing recorded, clean re-run', async () => {
  const database = db!;
  await resetToBase(database);
  const sleeper = makeProject();
  const history = generateHistory(3, (i) => ({
    up: i === 2 ? 'create table s2 (id int);\nselect pg_sleep(2);\ncreate table s2b (id int);\n' : `create table s${i} (id int);\n`,
    down: `drop table s${i};\n`,
  }));
  writeHistory(sleeper.dir, history);
  try {
    const env = { DATABASE_URL: database.url };
    const running = runCli(['up'], { cwd: sleeper.dir, env });
    let terminated = false;
    for (let i = 0; i < 500 && !terminated; i++) {
      const rows = await database.query<{ ok: boolean }>(
        `select pg_terminate_backend(pid) as ok from pg_stat_activity
          where datname = current_database() and application_name = 'strata' and state = 'active' and wait_event = 'PgSleep'`);
      terminated = rows.some((r) => r.ok);
      if (!terminated) await sleep(20);
    }
    assert.ok(terminated, 'found strata running the revision');
    const r = await running;
    assert.is(r.code, 1, r.output);
    assert.match(r.stderr, /terminat/i, 'says the connection was terminated');
    assert.match(r.stderr, `migrations/${history[1]!.id}/up.sql:5:1`, `names the statement that was running:\n${r.stderr}`);
    assert.match(r.stderr, /rolled back/, r.stderr);
    assert.not.match(r.output, /at .*\.js:\d+/, 'no stack trace');

    await waitForStrataSessions(database);
    const recorded = await database.query<{ id: string }>('select id from strata.revisions order by id');
    assert.equal(recorded.map((x) => x.id), [history[0]!.id], 'only the revision before is recorded');
    const tables = await database.query<{ name: string }>("select tablename as name from pg_tables where schemaname = 'public' order by 1");
    assert.equal(tables.map((t) => t.name), ['s1'], 'the interrupted revision left nothing behind');

    const again = await runCli(['up'], { cwd: sleeper.dir, env });
    assert.is(again.code, 0, again.output);
    assert.match(again.stdout, /2 applied/);
    const after = await database.query<{ id: string }>('select id from strata.revisions order by id');
    assert.equal(after.map((x) => x.id), history.map((h) => h.id));
  } finally {
    sleeper.remove();
  }
});

test.run();
