import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { expectExit, revisionFiles, projectWithDatabase } from '../helpers/e2e.js';
import { makeProject, runCli, type CliResult } from '../helpers/harness.js';

/** The keys docs/json.md promises, per shape. */
const KEYS = {
  init: ['created', 'kept', 'ok'],
  new: ['files', 'id', 'ok', 'parent'],
  run: ['command', 'notes', 'ok', 'steps'],
  runInvalid: ['command', 'ok', 'problems', 'reason'],
  runFailed: ['command', 'failure', 'ok', 'reason', 'steps'],
  upStep: ['attempts', 'direction', 'durationMs', 'id', 'statementCount', 'transactional'],
  downStep: ['attempts', 'direction', 'durationMs', 'id', 'source', 'statementCount', 'transactional'],
  failure: ['attempts', 'codeFrame', 'column', 'detail', 'direction', 'effects', 'file', 'hint', 'id', 'internalQuery', 'line', 'message', 'sqlstate', 'statement', 'where'],
  problem: ['code', 'codeFrame', 'column', 'file', 'hint', 'line', 'message'],
  invalid: ['ok', 'problems', 'reason'],
  status: ['counts', 'current', 'database', 'head', 'ok', 'problems', 'revisions', 'schema'],
  statusRevision: ['appliedAt', 'id', 'isDownEdited', 'message', 'partial', 'replaces', 'state', 'tags'],
  sql: ['command', 'direction', 'from', 'ok', 'script', 'steps'],
  sqlStep: ['direction', 'file', 'id', 'transactional'],
  sqlInvalid: ['command', 'direction', 'ok', 'problems', 'reason'],
  stamp: ['command', 'notes', 'ok', 'stamped', 'unstamped'],
  log: ['database', 'events', 'ok', 'schema'],
  event: ['action', 'actor', 'at', 'dbUser', 'details', 'durationMs', 'error', 'id', 'ok', 'revision'],
  eventError: ['column', 'file', 'line', 'message', 'sqlstate'],
  current: ['appliedAt', 'current', 'database', 'head', 'message', 'notes', 'ok', 'pending', 'schema'],
  heads: ['head', 'message', 'ok'],
  headsForked: ['heads', 'keep', 'moves', 'ok', 'reason'],
  forkHead: ['branch', 'forkedFrom', 'id', 'message'],
  move: ['branch', 'edits', 'onto'],
  show: ['applied', 'database', 'files', 'id', 'irreversible', 'isCurrent', 'isHead', 'message', 'ok', 'parent', 'replacedBy', 'schema', 'state', 'tags'],
  showFile: ['checksum', 'path', 'transactional'],
  showApplied: ['at', 'by', 'downChecksum', 'durationMs', 'isDownMatching', 'isStoredDownTransactional', 'isUpMatching', 'upChecksum'],
  history: ['current', 'database', 'head', 'isAppliedKnown', 'notes', 'ok', 'problems', 'revisions', 'schema'],
  historyEntry: ['appliedAt', 'id', 'isBranchPoint', 'isCurrent', 'isHead', 'message', 'parent', 'state', 'tags'],
};

const R1 = '20261101090000_create_customers';
const R2 = '20261102090000_create_orders';
const HISTORY = {
  ...revisionFiles(R1, 'base', 'create table customers (id int primary key);\n', 'drop table customers;\n', ['--! Message: Customers']),
  ...revisionFiles(R2, R1, 'create table orders (id int primary key);\n', 'drop table orders;\n'),
};

const { db, project, env, run } = await projectWithDatabase('json_quiet', HISTORY);

/** One JSON object on stdout and nothing on stderr; returns it. */
function json(result: CliResult, exit: number): Record<string, unknown> {
  expectExit(result, exit);
  assert.is(result.stderr, '', `nothing on stderr with --json:\n${result.stderr}`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(result.stdout);
  } catch {
    assert.unreachable(`stdout is not one JSON document:\n${result.stdout}`);
  }
  assert.type(parsed, 'object');
  return parsed as Record<string, unknown>;
}

function keys(value: unknown, expected: string[], what: string): void {
  assert.equal(Object.keys(value as object).sort(), expected, `${what} has the documented keys`);
}

function expectInvalid(report: Record<string, unknown>, shape: string[], code: string): void {
  keys(report, shape, 'invalid report');
  assert.is(report.ok, false);
  assert.is(report.reason, 'invalid');
  const problems = report.problems as unknown[];
  assert.ok(problems.length > 0);
  for (const p of problems) keys(p, KEYS.problem, 'problem');
  assert.ok(problems.some((p) => (p as { code: string }).code === code), `a ${code} problem in ${JSON.stringify(problems)}`);
}

test('init and new', async () => {
  const fresh = makeProject();
  try {
    const newBeforeInit = json(await runCli(['new', 'first', '--json'], { cwd: fresh.dir }), 2);
    expectInvalid(newBeforeInit, KEYS.invalid, 'DIR_MISSING');
    const init = json(await runCli(['init', '--json'], { cwd: fresh.dir }), 0);
    keys(init, KEYS.init, 'init');
    assert.is(init.ok, true);
    assert.ok((init.created as string[]).includes('migrations'));
    const created = json(await runCli(['new', 'first revision', '--json'], { cwd: fresh.dir }), 0);
    keys(created, KEYS.new, 'new');
    assert.is(created.parent, 'base');
    assert.match(created.id as string, /^\d{14}_first_revision$/);
    keys(created.files, ['down', 'up'], 'new.files');
    const missingArgument = json(await runCli(['new', '--json'], { cwd: fresh.dir }), 2);
    expectInvalid(missingArgument, KEYS.invalid, 'ARGUMENT_INVALID');
    const unknownCommand = json(await runCli(['frobnicate', '--json'], { cwd: fresh.dir }), 2);
    expectInvalid(unknownCommand, KEYS.invalid, 'ARGUMENT_INVALID');
  } finally {
    fresh.remove();
  }
});

(db ? test : test.skip)('up, down, redo: success, invalid and failed', async () => {
  const up = json(await run('up', '--json'), 0);
  keys(up, KEYS.run, 'up');
  assert.is(up.command, 'up');
  for (const step of up.steps as unknown[]) keys(step, KEYS.upStep, 'up step');
  assert.equal((up.steps as Array<{ id: string }>).map((s) => s.id), [R1, R2]);

  const redo = json(await run('redo', '--json'), 0);
  keys(redo, KEYS.run, 'redo');
  assert.equal((redo.steps as Array<{ direction: string }>).map((s) => s.direction), ['down', 'up']);

  const down = json(await run('down', '--json'), 0);
  keys(down, KEYS.run, 'down');
  keys((down.steps as unknown[])[0], KEYS.downStep, 'down step');

  const invalid = json(await run('up', 'nope', '--json'), 2);
  expectInvalid(invalid, KEYS.runInvalid, 'TARGET_UNKNOWN');
  const tooFar = json(await run('down', '-5', '--json'), 2);
  expectInvalid(tooFar, KEYS.runInvalid, 'TARGET_INVALID');

  const failing = makeProject({ ...HISTORY, ...revisionFiles(R2, R1, 'create table orders (id int references nowhere);\n', '') });
  try {
    const failed = json(await runCli(['up', '--json'], { cwd: failing.dir, env }), 1);
    keys(failed, KEYS.runFailed, 'failed run');
    assert.is(failed.reason, 'failed');
    const failure = failed.failure as Record<string, unknown>;
    keys(failure, KEYS.failure, 'failure');
    assert.is(failure.sqlstate, '42P01');
    assert.is(failure.file, `migrations/${R2}/up.sql`);
    assert.is(failure.line, 3);
    assert.is(failure.detail, null, 'absent fields are null, not missing');
    keys(failure.statement, ['count', 'index', 'label', 'line'], 'failure.statement');
  } finally {
    failing.remove();
  }
});

(db ? test : test.skip)('status, sql, stamp, log', async () => {
  const status = json(await run('status', '--json'), 0);
  keys(status, KEYS.status, 'status');
  for (const r of status.revisions as unknown[]) keys(r, KEYS.statusRevision, 'status revision');
  keys(status.counts, ['applied', 'edited', 'missing', 'pending'], 'status.counts');

  const sql = json(await run('sql', 'up', '--json'), 0);
  keys(sql, KEYS.sql, 'sql');
  assert.is(sql.from, null);
  assert.match(sql.script as string, /^-- strata sql up: apply 2 revisions\n/);
  for (const s of sql.steps as unknown[]) keys(s, KEYS.sqlStep, 'sql step');
  const sqlInvalid = json(await run('sql', 'down', '+1', '--json'), 2);
  expectInvalid(sqlInvalid, KEYS.sqlInvalid, 'TARGET_INVALID');

  const stamp = json(await run('stamp', R1, '--json'), 0);
  keys(stamp, KEYS.stamp, 'stamp');
  assert.equal(stamp.stamped, [R1]);
  const stampInvalid = json(await run('stamp', 'nope', '--json'), 2);
  expectInvalid(stampInvalid, KEYS.runInvalid, 'TARGET_UNKNOWN');
  const stampMissing = json(await run('stamp', '--json'), 2);
  expectInvalid(stampMissing, KEYS.invalid, 'ARGUMENT_INVALID');

  const failing = makeProject({ ...HISTORY, ...revisionFiles(R2, R1, 'select * from nowhere;\n', '') });
  try {
    json(await runCli(['up', '--json'], { cwd: failing.dir, env }), 1);
  } finally {
    failing.remove();
  }
  const log = json(await run('log', '--json'), 0);
  keys(log, KEYS.log, 'log');
  const events = log.events as Array<Record<string, unknown>>;
  assert.is(events.length, 2);
  for (const e of events) keys(e, KEYS.event, 'event');
  keys(events[0]!.error, KEYS.eventError, 'event.error');
  assert.is(events[1]!.error, null);
  const logInvalid = json(await run('log', '--limit', 'many', '--json'), 2);
  expectInvalid(logInvalid, KEYS.invalid, 'ARGUMENT_INVALID');

  const broken = makeProject({ ...HISTORY, ...revisionFiles(R2, 'nowhere', 'select 1;\n', '') });
  try {
    const statusProblems = json(await runCli(['status', '--json'], { cwd: broken.dir, env }), 2);
    keys(statusProblems, KEYS.status, 'status with problems');
    assert.is(statusProblems.ok, false);
    for (const p of statusProblems.problems as unknown[]) keys(p, KEYS.problem, 'status problem');
  } finally {
    broken.remove();
  }
});

(db ? test : test.skip)('current, heads, show, history', async () => {
  const base = json(await run('current', '--json'), 0);
  keys(base, KEYS.current, 'current');
  assert.equal([base.current, base.head, base.pending], [null, R2, 2]);
  expectExit(await run('up', '+1'), 0);
  const current = json(await run('current', '--json'), 0);
  keys(current, KEYS.current, 'current');
  assert.equal([current.current, current.message, current.pending], [R1, 'Customers', 1]);

  const heads = json(await run('heads', '--json'), 0);
  keys(heads, KEYS.heads, 'heads');
  const forked = makeProject({ ...HISTORY, ...revisionFiles('20261102120000_create_invoices', R1, 'select 1;\n', '') });
  try {
    const fork = json(await runCli(['heads', '--json'], { cwd: forked.dir, env }), 1);
    keys(fork, KEYS.headsForked, 'heads, forked');
    assert.is(fork.reason, 'forked');
    for (const head of fork.heads as unknown[]) keys(head, KEYS.forkHead, 'fork head');
    for (const move of fork.moves as unknown[]) keys(move, KEYS.move, 'move');
    const edits = (fork.moves as Array<{ edits: Array<Record<string, unknown>> }>)[0]!.edits;
    for (const edit of edits) keys(edit, edit.kind === 'rename' ? ['from', 'kind', 'to'] : ['file', 'kind', 'parent'], `${String(edit.kind)} edit`);
    assert.ok(edits.some((e) => e.kind === 'set-parent'));
  } finally {
    forked.remove();
  }
  const broken = makeProject({ ...HISTORY, ...revisionFiles(R2, 'nowhere', 'select 1;\n', '') });
  try {
    expectInvalid(json(await runCli(['heads', '--json'], { cwd: broken.dir, env }), 2), KEYS.invalid, 'CHAIN_PARENT_UNKNOWN');
  } finally {
    broken.remove();
  }

  const applied = json(await run('show', R1, '--json'), 0);
  keys(applied, KEYS.show, 'show');
  keys(applied.files, ['down', 'up'], 'show.files');
  keys((applied.files as Record<string, unknown>).up, KEYS.showFile, 'show.files.up');
  keys(applied.applied, KEYS.showApplied, 'show.applied');
  assert.equal([applied.state, applied.isCurrent, applied.irreversible], ['applied', true, null]);
  const pending = json(await run('show', 'head', '--json'), 0);
  keys(pending, KEYS.show, 'show, pending');
  assert.equal([pending.id, pending.state, pending.applied], [R2, 'pending', null]);
  expectInvalid(json(await run('show', 'nope', '--json'), 2), KEYS.invalid, 'TARGET_UNKNOWN');

  const history = json(await run('history', '--json'), 0);
  keys(history, KEYS.history, 'history');
  for (const entry of history.revisions as unknown[]) keys(entry, KEYS.historyEntry, 'history entry');
  assert.equal((history.revisions as Array<{ id: string }>).map((r) => r.id), [R2, R1], 'newest first');
});

test('a database that cannot be reached: reason unavailable, exit 1', async () => {
  const report = json(await runCli(['status', '--json'], { cwd: project.dir, env: { DATABASE_URL: 'postgres://someone:hunter2@127.0.0.1:1/nowhere' } }), 1);
  keys(report, KEYS.invalid, 'unavailable');
  assert.is(report.reason, 'unavailable');
  assert.is((report.problems as Array<{ code: string }>)[0]!.code, 'CONNECTION_FAILED');
  assert.ok(!JSON.stringify(report).includes('hunter2'), 'the password is redacted');
});

(db ? test : test.skip)('--quiet prints nothing at all on success', async () => {
  const fresh = makeProject();
  try {
    for (const args of [['init'], ['new', 'something']]) {
      const result = await runCli([...args, '--quiet'], { cwd: fresh.dir });
      expectExit(result, 0, args.join(' '));
      assert.is(result.output, '', `${args.join(' ')} --quiet printed:\n${result.output}`);
    }
  } finally {
    fresh.remove();
  }
  for (const args of [['up'], ['status'], ['redo'], ['down', 'base'], ['stamp', 'head'], ['stamp', 'base'], ['up', '+1'], ['status', '--exit-code']]) {
    const result = await run(...args, '--quiet');
    if (args[1] === '--exit-code') expectExit(result, 1, 'status --exit-code with a pending revision');
    else expectExit(result, 0, args.join(' '));
    assert.is(result.output, '', `${args.join(' ')} --quiet printed:\n${result.output}`);
  }
  // what was asked for still prints, without the lines on stderr
  for (const [args, expected] of [[['current'], `${R1}, Customers\n`], [['heads'], `${R2} (head)\n`]] as const) {
    const result = await run(...args, '--quiet');
    expectExit(result, 0, args.join(' '));
    assert.equal([result.stdout, result.stderr], [expected, ''], `${args.join(' ')} --quiet`);
  }
  const chain = await run('history', '--quiet');
  assert.equal([chain.stdout.split('\n')[0], chain.stderr], [`pending  ${R1} -> ${R2} (head)`, '']);
  // errors still print
  const failed = await run('up', 'nope', '--quiet');
  expectExit(failed, 2);
  assert.is(failed.stdout, '');
  assert.match(failed.stderr, /no revision or tag matches 'nope'/);
});

test.run();
