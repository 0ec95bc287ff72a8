import { cpSync, existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { appliedIds, EXAMPLE_IDS, events, exampleProject, expectExit, expectText } from '../helpers/e2e.js';
import { createTestDatabase, makeProject, runCli, type TestDatabase } from '../helpers/harness.js';
import { snapshotOf } from '../helpers/schema-roundtrip.js';

// Releases: strata squash (a range replaced by one revision, `--! Replaces:`) on databases at every
// position relative to the range, with the replaced folders kept and deleted; tags as commands.
// The example history's revisions 2-4 are squashed (its 5th is Transaction: off, squashed apart).
const RANGE = EXAMPLE_IDS.slice(1, 4);
const SQUASHED = `${RANGE.at(-1)!.slice(0, 14)}_release_1_0`;

const databases: TestDatabase[] = [];
async function database(name: string): Promise<TestDatabase | undefined> {
  const db = await createTestDatabase(`release_${name}`);
  if (db) databases.push(db);
  return db;
}
test.after(async () => {
  for (const db of databases) await db.drop();
});

const cli = (project: { dir: string }, db: TestDatabase, ...args: string[]) => runCli(args, { cwd: project.dir, env: { DATABASE_URL: db.url, SHADOW_DATABASE_URL: undefined } });

/** The example history squashed (revisions 2-4) by strata squash, proven on `db`'s server. */
async function squashedProject(db: TestDatabase, flags: string[] = []) {
  const project = exampleProject();
  const result = await cli(project, db, 'squash', `${RANGE[0]}..${RANGE.at(-1)}`, '-m', 'release 1.0', ...flags);
  expectExit(result, 0);
  return { project, result };
}

test('squash writes one revision that replaces the range: Replaces, tags moved, the next revision re-parented, proven first', async () => {
  const db = await database('write');
  if (!db) return;
  const { project, result } = await squashedProject(db);
  try {
    expectText(result.stdout, `squashed 3 revisions (${RANGE[0]} … ${RANGE[2]}) into ${SQUASHED} (parent ${EXAMPLE_IDS[0]})`,
      'proven on the shadow: its up.sql gives the schema the 3 revisions give, its down.sql the schema before them',
      'tags moved to it: v1.0', `kept the 3 replaced folders for databases partway through the range: delete them once every database is past ${RANGE[2]}`);
    const up = readFileSync(path.join(project.dir, 'migrations', SQUASHED, 'up.sql'), 'utf8');
    assert.ok(up.startsWith(`--! Parent: ${EXAMPLE_IDS[0]}\n--! Message: release 1.0\n--! Replaces: ${RANGE.join(', ')}\n--! Tags: v1.0\n\n-- ${RANGE[0]}: Create products\n`), up);
    const down = readFileSync(path.join(project.dir, 'migrations', SQUASHED, 'down.sql'), 'utf8');
    assert.ok(down.indexOf(`-- ${RANGE[2]}: undo`) < down.indexOf(`-- ${RANGE[0]}: undo`), 'down.sql undoes the range newest first');
    assert.match(readFileSync(path.join(project.dir, 'migrations', EXAMPLE_IDS[4]!, 'up.sql'), 'utf8'), `--! Parent: ${SQUASHED}\n`);
    assert.not.match(readFileSync(path.join(project.dir, 'migrations', RANGE[2]!, 'up.sql'), 'utf8'), 'Tags:');
    // a fresh database gets the squashed revision
    expectExit(await cli(project, db, 'up'), 0);
    assert.equal(await appliedIds(db), [EXAMPLE_IDS[0], SQUASHED, EXAMPLE_IDS[4]]);
    expectExit(await cli(project, db, 'dump'), 0);
    expectExit(await cli(project, db, 'check'), 0);
    // check --live compares a database partway through the range with the replaced revisions it follows
    const partway = (await database('write_partway'))!;
    const plain = exampleProject();
    try {
      expectExit(await cli(plain, partway, 'up', RANGE[0]!), 0);
      expectExit(await cli(project, partway, 'check', '--live'), 0, 'no drift partway');
      await partway.query('create table hand_made (id int)');
      expectText((await cli(project, partway, 'check', '--live')).stderr, `applied up to ${RANGE[0]}): table public.hand_made added outside strata`);
    } finally {
      plain.remove();
    }
  } finally {
    project.remove();
  }
});

test('every position relative to the range, replaced folders kept: up to head and down to base give what the unsquashed history gives', async () => {
  const reference = await database('reference');
  if (!reference) return;
  const plain = exampleProject();
  const { project } = await squashedProject(reference);
  try {
    expectExit(await cli(plain, reference, 'up'), 0);
    const atHead = await snapshotOf(reference);
    expectExit(await cli(plain, reference, 'down', 'base'), 0);
    const atBase = await snapshotOf(reference);
    for (let applied = 0; applied <= EXAMPLE_IDS.length; applied++) {
      const db = (await database(`at${applied}`))!;
      if (applied > 0) expectExit(await cli(plain, db, 'up', EXAMPLE_IDS[applied - 1]!), 0, `unsquashed up to ${applied}`);
      const status = await cli(project, db, 'status');
      expectExit(status, 0, `status at ${applied}`);
      const up = await cli(project, db, 'up');
      expectExit(up, 0, `up from ${applied}`);
      assert.equal(await snapshotOf(db), atHead, `the schema at head, from ${applied} applied`);
      assert.equal(await appliedIds(db), [EXAMPLE_IDS[0], SQUASHED, EXAMPLE_IDS[4]], `recorded as the squashed history, from ${applied}`);
      const recorded = (await events(db)).filter((e) => e.action === 'squash');
      const throughRange = applied > 1;
      assert.equal(recorded.map((e) => [e.revision_id, e.details]), throughRange ? [[SQUASHED, { replaces: RANGE }]] : [], `the squash event, from ${applied}`);
      if (throughRange) expectText(up.stderr, `recorded ${SQUASHED} as applied in place of the 3 revisions it replaces`);
      // said once, as it happens (not again in the summary, which then has nothing else to say)
      if (throughRange) assert.is(up.output.split(`recorded ${SQUASHED} as applied`).length - 1, 1, `the note once, from ${applied}`);
      if (applied === EXAMPLE_IDS.length) assert.is(up.stdout.trim(), 'nothing to apply: the database is up to date');
      // a replaced revision, shown from its folder kept, is in the state of the squash the database now follows
      const shown = JSON.parse((await cli(project, db, 'show', RANGE[0]!, '--json')).stdout) as { state: string; replacedBy: string | null; applied: unknown };
      assert.equal([shown.state, shown.replacedBy, shown.applied], ['applied', SQUASHED, null], `show ${RANGE[0]}, from ${applied}`);
      expectText((await cli(project, db, 'show', RANGE[0]!)).stdout, `state         applied, as part of ${SQUASHED}, which replaces it`);
      expectExit(await cli(project, db, 'down', 'base'), 0, `down base from ${applied}`);
      assert.equal(await snapshotOf(db), atBase, `the schema at base, from ${applied}`);
      expectExit(await cli(project, db, 'up'), 0);
      assert.equal(await snapshotOf(db), atHead);
    }
  } finally {
    plain.remove();
    project.remove();
  }
});

test('show of a replaced revision on a database that follows the squash: replaced by it, and whether that is applied; not "pending"', async () => {
  const db = await database('show_replaced');
  if (!db) return;
  const plain = exampleProject();
  const { project } = await squashedProject(db);
  try {
    expectExit(await cli(project, db, 'up'), 0);
    const shown = await cli(project, db, 'show', RANGE[0]!);
    expectExit(shown, 0);
    expectText(shown.stdout, `state         applied, as part of ${SQUASHED}, which replaces it (strata show ${SQUASHED})`);
    assert.not.match(shown.stdout, 'pending (not applied)');
    const json = JSON.parse((await cli(project, db, 'show', RANGE[0]!, '--json')).stdout) as { replacedBy: unknown; state: string };
    assert.equal([json.state, json.replacedBy], ['applied', SQUASHED]);
    const squashed = JSON.parse((await cli(project, db, 'show', SQUASHED, '--json')).stdout) as { replacedBy: unknown; state: string };
    assert.equal([squashed.state, squashed.replacedBy], ['applied', null]);
    // a database partway through the range follows the replaced revisions themselves
    expectExit(await cli(project, db, 'down', 'base'), 0);
    expectExit(await cli(plain, db, 'up', RANGE[0]!), 0);
    const partway = JSON.parse((await cli(project, db, 'show', RANGE[0]!, '--json')).stdout) as { replacedBy: unknown; state: string };
    assert.equal([partway.state, partway.replacedBy], ['applied', null]);
  } finally {
    plain.remove();
    project.remove();
  }
});

test('squash --delete-replaced on a database partway through the range: refused before anything is written, with the way on; once it is past, done', async () => {
  const db = await database('delete_partway');
  if (!db) return;
  const project = exampleProject();
  try {
    expectExit(await cli(project, db, 'up', RANGE[0]!), 0);
    const files = () => ({ ids: readdirSync(path.join(project.dir, 'migrations')).sort(), next: readFileSync(path.join(project.dir, 'migrations', EXAMPLE_IDS[4]!, 'up.sql'), 'utf8') });
    const before = files();
    const refused = await cli(project, db, 'squash', `${RANGE[0]}..${RANGE.at(-1)}`, '-m', 'release 1.0', '--delete-replaced');
    expectExit(refused, 2);
    expectText(refused.stderr, `applied 1 of the 3 revisions of the range (up to ${RANGE[0]}): with their folders deleted it could not finish the range`,
      'fix: run strata up on it first (it finishes the range), then squash with --delete-replaced; or squash without --delete-replaced');
    assert.equal(files(), before, 'nothing written or deleted');
    assert.equal(await appliedIds(db), [EXAMPLE_IDS[0], RANGE[0]]);
    expectExit(await cli(project, db, 'up', RANGE.at(-1)!), 0);
    expectExit(await cli(project, db, 'squash', `${RANGE[0]}..${RANGE.at(-1)}`, '-m', 'release 1.0', '--delete-replaced'), 0);
    for (const id of RANGE) assert.not.ok(existsSync(path.join(project.dir, 'migrations', id)), `${id} deleted`);
    expectExit(await cli(project, db, 'up'), 0);
    assert.equal(await appliedIds(db), [EXAMPLE_IDS[0], SQUASHED, EXAMPLE_IDS[4]]);
  } finally {
    project.remove();
  }
});

test('replaced folders deleted: a database partway through the range gets one problem naming what it lacks; the others go on', async () => {
  const reference = await database('deleted');
  if (!reference) return;
  const plain = exampleProject();
  const { project } = await squashedProject(reference, ['--delete-replaced']);
  try {
    for (const id of RANGE) assert.not.ok(existsSync(path.join(project.dir, 'migrations', id)), `${id} deleted`);
    const partway = (await database('partway'))!;
    expectExit(await cli(plain, partway, 'up', RANGE[1]!), 0);
    const before = await snapshotOf(partway);
    const refused = await cli(project, partway, 'up');
    expectExit(refused, 2);
    expectText(refused.stderr, `error: this database applied 2 of the 3 revisions ${SQUASHED} replaces (up to ${RANGE[1]}), and their folders are gone: it lacks ${RANGE[2]}`,
      'fix: check the replaced folders out again', 'nothing was run and the database was not changed');
    assert.equal(await snapshotOf(partway), before);
    assert.equal(await appliedIds(partway), [EXAMPLE_IDS[0], RANGE[0], RANGE[1]]);
    expectExit(await cli(project, partway, 'status'), 2, 'status names it too');
    // the folders back (git checkout), up finishes the range; then they can go again
    for (const id of RANGE) cpSync(path.join(plain.dir, 'migrations', id), path.join(project.dir, 'migrations', id), { recursive: true });
    expectExit(await cli(project, partway, 'up'), 0);
    for (const id of RANGE) rmSync(path.join(project.dir, 'migrations', id), { recursive: true });
    expectExit(await cli(project, partway, 'status'), 0);
    assert.equal(await appliedIds(partway), [EXAMPLE_IDS[0], SQUASHED, EXAMPLE_IDS[4]]);
    // past the range: recorded as the squashed revision, nothing to run
    const past = (await database('past'))!;
    expectExit(await cli(plain, past, 'up'), 0);
    const done = await cli(project, past, 'up');
    expectExit(done, 0);
    expectText(done.stderr, `recorded ${SQUASHED} as applied`);
    assert.equal(await appliedIds(past), [EXAMPLE_IDS[0], SQUASHED, EXAMPLE_IDS[4]]);
    // a fresh database runs the squashed revision: a replaced one is no target there, and is named
    const fresh = await cli(project, reference, 'up', RANGE[0]!);
    expectExit(fresh, 2);
    expectText(fresh.stderr, `${RANGE[0]} was squashed into ${SQUASHED}: here the revisions it replaces are one step, ${SQUASHED}`, `target ${SQUASHED}`);
    assert.equal(await appliedIds(reference), []);
    // a replaced revision whose folder is gone is named, with the revision that replaces it
    const gone = await cli(project, past, 'show', RANGE[0]!);
    expectExit(gone, 2);
    expectText(gone.stderr, `${RANGE[0]} was squashed into ${SQUASHED}, and its folder is gone`, `strata show ${SQUASHED}`);
  } finally {
    plain.remove();
    project.remove();
  }
});

test('a Transaction: off revision in the range: refused with the reason; --transaction-off writes it off, each transactional body in a block of its own', async () => {
  const db = await database('off');
  if (!db) return;
  const project = exampleProject();
  try {
    const range = `${EXAMPLE_IDS[3]}..${EXAMPLE_IDS[4]}`;
    const refused = await cli(project, db, 'squash', range, '-m', 'views and indexes');
    expectExit(refused, 2);
    expectText(refused.stderr, `${EXAMPLE_IDS[4]} runs outside a transaction (Transaction: off), so the range cannot be squashed into one transactional revision`, 'pass --transaction-off');
    const made = await cli(project, db, 'squash', range, '-m', 'views and indexes', '--transaction-off');
    expectExit(made, 0);
    const id = `${EXAMPLE_IDS[4]!.slice(0, 14)}_views_and_indexes`;
    const up = readFileSync(path.join(project.dir, 'migrations', id, 'up.sql'), 'utf8');
    expectText(up, '--! Transaction: off\n', `-- ${EXAMPLE_IDS[3]}: Add order_totals view\nbegin;\n`, 'commit;\n\n-- ');
    expectExit(await cli(project, db, 'up'), 0);
    expectExit(await cli(project, db, 'down', 'base'), 0);
  } finally {
    project.remove();
  }
});

test('a squash that does not do what its range does is not written: a session setting one revision leaves for the next', async () => {
  const db = await database('proof');
  if (!db) return;
  const project = makeProject({
    'migrations/20260101000000_app/up.sql': '--! Parent: base\n\ncreate schema app;\nset search_path = app;\n',
    'migrations/20260101000000_app/down.sql': 'drop schema app;\n',
    'migrations/20260102000000_t/up.sql': '--! Parent: 20260101000000_app\n\ncreate table t (id int);\n',
    'migrations/20260102000000_t/down.sql': 'drop table t;\n',
  });
  try {
    const result = await cli(project, db, 'squash', '..', '-m', 'all');
    expectExit(result, 1);
    expectText(result.stderr, 'after the squashed up.sql the shadow has table app.t, which the range does not make', 'nothing was written.');
    assert.not.ok(existsSync(path.join(project.dir, 'migrations', '20260102000000_all')));
  } finally {
    project.remove();
  }
});

test('squash --tag: everything since the previous tag, up to that tag\'s revision, or up to the head which it tags; sql plans the chain the database follows', async () => {
  const db = await database('tag');
  if (!db) return;
  const project = exampleProject();
  const plain = exampleProject();
  try {
    expectExit(await cli(plain, db, 'up', EXAMPLE_IDS[1]!), 0);
    const first = await cli(project, db, 'squash', '--tag', 'v1.0');
    expectExit(first, 0);
    const v1 = `${EXAMPLE_IDS[2]!.slice(0, 14)}_release_v1_0`;
    expectText(first.stdout, `squashed 3 revisions (${EXAMPLE_IDS[0]} … ${EXAMPLE_IDS[2]}) into ${v1} (parent base)`);
    // partway through: strata sql shows the replaced revision still to run, then the rest
    const script = await cli(project, db, 'sql', 'up');
    expectExit(script, 0);
    expectText(script.stdout, EXAMPLE_IDS[2]!, EXAMPLE_IDS[3]!);
    // and, as up does, records the squashed revision once its range is finished
    assert.ok(script.stdout.indexOf(`-- ${v1} recorded as applied in place of the revisions it replaces`) > script.stdout.indexOf(`: ${EXAMPLE_IDS[2]} (up`), script.stdout);
    const second = await cli(project, db, 'squash', '--tag', 'v2.0', '--transaction-off', '-m', 'release 2');
    expectExit(second, 0);
    const v2 = `${EXAMPLE_IDS[4]!.slice(0, 14)}_release_2`;
    expectText(second.stdout, `squashed 2 revisions (${EXAMPLE_IDS[3]} … ${EXAMPLE_IDS[4]}) into ${v2} (parent ${v1})`, 'tags moved to it: v2.0');
    expectExit(await cli(project, db, 'up'), 0);
    assert.equal(await appliedIds(db), [v1, v2]);
    expectText((await cli(project, db, 'tags')).stdout, `v1.0  ${v1}`, `v2.0  ${v2}`);
  } finally {
    project.remove();
    plain.remove();
  }
});

test('squash refuses by name: one revision, an unknown end, no range or tag', async () => {
  const db = await database('refuse');
  if (!db) return;
  const project = exampleProject();
  try {
    expectText((await cli(project, db, 'squash', `${EXAMPLE_IDS[1]}..${EXAMPLE_IDS[1]}`, '-m', 'x')).stderr, 'nothing to squash');
    expectText((await cli(project, db, 'squash', `${EXAMPLE_IDS[1]}..nope`, '-m', 'x')).stderr, "no revision or tag matches 'nope'");
    expectText((await cli(project, db, 'squash', '-m', 'x')).stderr, 'which revisions? give a range or a tag');
    expectText((await cli(project, db, 'squash', `${EXAMPLE_IDS[0]}..${EXAMPLE_IDS[2]}`)).stderr, 'the squashed revision needs a message');
  } finally {
    project.remove();
  }
});

test('tags as commands: tag the head or a revision, list them with the applied state, delete; an applied revision stays applied', async () => {
  const db = await database('tags');
  if (!db) return;
  const project = exampleProject();
  try {
    expectExit(await cli(project, db, 'up', EXAMPLE_IDS[2]!), 0);
    expectExit(await cli(project, db, 'tag', 'v0.9', EXAMPLE_IDS[1]!), 0);
    const head = await cli(project, db, 'tag', 'v1.1');
    expectText(head.stdout, `tagged v1.1: ${EXAMPLE_IDS[4]}`);
    const taken = await cli(project, db, 'tag', 'v1.1', EXAMPLE_IDS[3]!);
    expectExit(taken, 2);
    expectText(taken.stderr, `tag 'v1.1' is on ${EXAMPLE_IDS[4]} already`, 'strata tag --delete v1.1 first');
    const list = await cli(project, db, 'tags');
    expectExit(list, 0);
    assert.equal(list.stdout.trim().split('\n').map((l) => l.split(/\s+/).slice(0, 3)), [['v0.9', EXAMPLE_IDS[1], 'applied'], ['v1.0', EXAMPLE_IDS[2], 'applied'], ['v1.1', EXAMPLE_IDS[4], 'pending']]);
    expectExit(await cli(project, db, 'status', '--exit-code'), 1, 'pending, none edited');
    expectText((await cli(project, db, 'status')).stdout, '2 pending;');
    expectExit(await cli(project, db, 'up', 'v1.1'), 0);
    expectExit(await cli(project, db, 'down', 'v0.9'), 0);
    assert.equal(await appliedIds(db), EXAMPLE_IDS.slice(0, 2));
    expectExit(await cli(project, db, 'tag', '--delete', 'v0.9'), 0);
    expectText((await cli(project, db, 'tag', '--delete', 'v0.9')).stderr, "no revision has the tag 'v0.9'");
    assert.not.match(readFileSync(path.join(project.dir, 'migrations', EXAMPLE_IDS[1]!, 'up.sql'), 'utf8'), 'Tags:');
    expectText((await cli(project, db, 'tag', 'head')).stderr, "'head' is not a valid tag");
  } finally {
    project.remove();
  }
});

test('a tag written on two revisions by hand: tags lists both and says what is wrong (exit 2), show and up refuse the tag by name', async () => {
  const db = await database('tag_twice');
  if (!db) return;
  const project = exampleProject();
  try {
    const file = path.join(project.dir, 'migrations', EXAMPLE_IDS[3]!, 'up.sql');
    writeFileSync(file, readFileSync(file, 'utf8').replace(/^(--! Parent: .*\n)/m, '$1--! Tags: v1.0\n'));
    const list = await cli(project, db, 'tags');
    expectExit(list, 2, 'the duplicate tag');
    expectText(list.stdout, `v1.0  ${EXAMPLE_IDS[2]}`, `v1.0  ${EXAMPLE_IDS[3]}`);
    expectText(list.stderr, `tag 'v1.0' is already on ${EXAMPLE_IDS[2]}`, '1 problem found');
    const json = await cli(project, db, 'tags', '--json');
    expectExit(json, 2, 'the duplicate tag, as JSON');
    assert.equal((JSON.parse(json.stdout) as { problems: Array<{ code: string }> }).problems.map((p) => p.code), ['DUPLICATE_TAG']);
    const show = await cli(project, db, 'show', 'v1.0');
    expectExit(show, 2, 'show of a tag on two revisions');
    expectText(show.stderr, `the tag 'v1.0' is on 2 revisions: ${EXAMPLE_IDS[2]}, ${EXAMPLE_IDS[3]}`);
    expectExit(await cli(project, db, 'up', 'v1.0'), 2, 'up refuses it');
    assert.equal(await appliedIds(db), [], 'nothing applied');
  } finally {
    project.remove();
  }
});

test('rebase on a three-way fork with one side applied: the applied side stays, the others move after it; refused for a database that applied two sides', async () => {
  const db = await database('rebase');
  if (!db) return;
  const head = EXAMPLE_IDS.at(-1)!;
  const branch = (id: string, parent: string) => ({
    [`migrations/${id}/up.sql`]: `--! Parent: ${parent}\n--! Message: ${id.slice(15)}\n\ncreate table ${id.slice(15)} (id int);\n`,
    [`migrations/${id}/down.sql`]: `drop table ${id.slice(15)};\n`,
  });
  const forked = { ...branch('20261107090000_a1', head), ...branch('20261109090000_a2', '20261107090000_a1'), ...branch('20261108090000_b1', head), ...branch('20261110090000_c1', head) };
  const project = exampleProject();
  try {
    // this database applied the b side (before the merge brought in a and c)
    for (const [file, text] of Object.entries(branch('20261108090000_b1', head))) project.write(file, text);
    expectExit(await cli(project, db, 'up'), 0);
    for (const [file, text] of Object.entries(forked)) project.write(file, text);
    const refused = await cli(project, db, 'up');
    expectExit(refused, 2);
    expectText(refused.stderr, `3 revisions claim parent ${head}`, 'join the branches with strata rebase');
    const rebased = await cli(project, db, 'rebase');
    expectExit(rebased, 0);
    expectText(rebased.stdout, 'moved 20261107090000_a1, 20261109090000_a2 after 20261108090000_b1:', 'renamed migrations/20261107090000_a1 to migrations/20261108090001_a1',
      'the history is one chain again, head 20261110090000_c1');
    expectExit(await cli(project, db, 'up'), 0);
    assert.equal((await appliedIds(db)).slice(EXAMPLE_IDS.length), ['20261108090000_b1', '20261108090001_a1', '20261109090000_a2', '20261110090000_c1']);
    expectText((await cli(project, db, 'rebase')).stdout, 'nothing to rebase');

    // a database that applied two sides: nothing can move without moving what it ran
    const both = (await database('rebase_both'))!;
    const two = exampleProject();
    try {
      for (const [file, text] of Object.entries({ ...branch('20261107090000_a1', head), ...branch('20261108090000_b1', '20261107090000_a1') })) two.write(file, text);
      expectExit(await cli(two, both, 'up'), 0);
      for (const [file, text] of Object.entries({ ...branch('20261108090000_b1', head), ...branch('20261110090000_c1', head) })) two.write(file, text);
      const blocked = await cli(two, both, 'rebase');
      expectExit(blocked, 2);
      expectText(blocked.stderr, 'the database applied revisions of more than one branch', 'strata rebase --from base');
      assert.ok(existsSync(path.join(two.dir, 'migrations', '20261108090000_b1')), 'nothing moved');
      expectExit(await cli(two, both, 'rebase', '--from', 'base'), 0);
    } finally {
      two.remove();
    }
  } finally {
    project.remove();
  }
});

test.run();
