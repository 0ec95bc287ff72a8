import { readdirSync } from 'node:fs';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { expectExit, expectNoText, expectText, projectWithDatabase, revisionFiles, trackingState } from '../helpers/e2e.js';

// strata help <command>, per-command --help, "did you mean" for commands and flags, flags reported as
// typed (`--dry-run`, not `--dryRun`), and new -m (issue 7, items 15 and 17's neighbours).
const R1 = '20261101090000_create_customers';
const R2 = '20261102090000_create_orders';
const HISTORY = {
  ...revisionFiles(R1, 'base', 'create table customers (id int primary key);\n', 'drop table customers;\n'),
  ...revisionFiles(R2, R1, 'create table orders (id int primary key);\n', 'drop table orders;\n'),
};

const { db, project, run } = await projectWithDatabase('help', HISTORY);

const COMMANDS = ['init', 'new', 'up', 'down', 'redo', 'stamp', 'dev', 'status', 'current', 'heads', 'show', 'history', 'log', 'sql', 'help'];
const TARGETED = ['up', 'down', 'stamp', 'show', 'sql'];

test('strata help is strata --help: every command, the global options, examples', async () => {
  const help = await run('help');
  expectExit(help, 0);
  assert.is(help.stdout, (await run('--help')).stdout);
  assert.is(help.stdout, (await run()).stdout, 'no command at all prints the same');
  for (const command of COMMANDS) assert.match(help.stdout, new RegExp(`\\n  ${command}\\b`), `${command} is listed`);
  expectText(help.stdout, 'Usage:\n  $ strata <command> [options]', '--database-url <url>', '--json', 'Examples:', 'strata help <command>', 'Exit codes:');
});

test('strata help <command> is strata <command> --help: what it does, its flags, its targets, two examples', async () => {
  for (const command of COMMANDS) {
    const help = await run('help', command);
    expectExit(help, 0, `help ${command}`);
    const viaFlag = await run(command, '--help');
    expectExit(viaFlag, 0, `${command} --help`);
    assert.is(help.stdout, viaFlag.stdout, `strata help ${command} = strata ${command} --help`);
    const text = help.stdout;
    const [what] = text.split('\n\n');
    assert.ok(what!.length > 40, `${command}: says what it does first:\n${text}`);
    expectText(text, `Usage:\n  $ strata ${command}`, 'Global options:\n  --database-url <url>', '--json', '-h, --help', 'Examples:\n');
    const examples = text.slice(text.indexOf('Examples:\n') + 'Examples:\n'.length).trimEnd().split('\n');
    assert.is(examples.length, 2, `${command}: two examples:\n${examples.join('\n')}`);
    for (const line of examples) assert.match(line, /^ {2}strata \S.* {2}# \S/, `${command}: an example and what it does`);
    if (TARGETED.includes(command)) expectText(text, 'Target', '<id>', 'a prefix of it', '<tag>');
    else expectNoText(text, 'Target');
  }
  const up = (await run('help', 'up')).stdout;
  expectText(up, 'Target (default: head):', '  +N ', '--single-transaction', '--allow-out-of-order', 'up applies every pending revision up to and including the target.');
  const down = (await run('help', 'down')).stdout;
  expectText(down, 'Target (default: -1):', '  -N ', '  base ', 'keeps the target itself');
  expectText((await run('help', 'new')).stdout, '-m, --message <message>', 'strata new -m "add orders"');
  expectText((await run('help', 'history')).stdout, '--events', 'strata log');
});

test('an unknown command: did you mean, exit 2, the invalid JSON shape with --json', async () => {
  const typo = await run('stauts');
  expectExit(typo, 2);
  assert.is(typo.stderr, "error: unknown command 'stauts'; did you mean 'status'?\n  fix: strata help lists the commands\n");
  assert.is(typo.stdout, '');
  const helpTypo = await run('help', 'stauts');
  expectExit(helpTypo, 2);
  expectText(helpTypo.stderr, "unknown command 'stauts'; did you mean 'status'?");
  expectText((await run('upgrade')).stderr, "unknown command 'upgrade'; did you mean 'up'?");
  expectText((await run('revision', '-m', 'x')).stderr, "did you mean 'new'?");
  const far = await run('frobnicate');
  expectExit(far, 2);
  expectText(far.stderr, "error: unknown command 'frobnicate'\n");
  const json = await run('stauts', '--json');
  expectExit(json, 2);
  assert.equal(JSON.parse(json.stdout), {
    ok: false, reason: 'invalid',
    problems: [{ code: 'ARGUMENT_INVALID', message: "unknown command 'stauts'; did you mean 'status'?", file: null, line: null, column: null, hint: 'strata help lists the commands', codeFrame: null }],
  });
});

(db ? test : test.skip)('unknown flags are named as typed, with the close flag of that command; nothing runs', async () => {
  const dryRun = await run('up', '--dry-run');
  expectExit(dryRun, 2);
  assert.is(dryRun.stderr, "error: unknown option '--dry-run' for strata up\n"
    + '  fix: strata up has no dry run: strata sql up [target] prints the exact script it would run, without running anything\n');
  expectNoText(dryRun.stderr, 'dryRun');
  expectText((await run('down', '--dry-run')).stderr, 'strata sql down [target] prints the exact script');
  assert.equal(await trackingState(db!), { applied: null, events: null }, 'nothing ran, not even the tracking schema');

  const typo = await run('up', '--singel-transaction');
  expectExit(typo, 2);
  expectText(typo.stderr, "error: unknown option '--singel-transaction' for strata up; did you mean '--single-transaction'?", 'fix: strata up --help lists its options');
  expectText((await run('status', '--exit-cod')).stderr, "did you mean '--exit-code'?");
  expectText((await run('status', '--jsn')).stderr, "unknown option '--jsn' for strata status; did you mean '--json'?");
  expectText((await run('status', '--limit', '3')).stderr, "unknown option '--limit' for strata status", '--limit is an option of');
  expectText((await run('down', '--allow-out-of-order')).stderr, "unknown option '--allow-out-of-order' for strata down");
  expectText((await run('up', '-x')).stderr, "unknown option '-x' for strata up");
  expectText((await run('up', '--lock-timeot=5')).stderr, "unknown option '--lock-timeot' for strata up; did you mean '--lock-timeout'?");

  const json = await run('up', '--dry-run', '--json');
  expectExit(json, 2);
  assert.is(json.stderr, '');
  const report = JSON.parse(json.stdout) as { ok: boolean; reason: string; problems: Array<{ code: string; message: string; hint: string }> };
  assert.equal([report.ok, report.reason, report.problems[0]!.code, report.problems[0]!.message], [false, 'invalid', 'ARGUMENT_INVALID', "unknown option '--dry-run' for strata up"]);
  assert.equal(await trackingState(db!), { applied: null, events: null });

  // targets such as -1 and flags after -- are not flags
  expectExit(await run('up'), 0);
  expectExit(await run('down', '-1'), 0);
});

test('new -m "msg" and new "msg"; both, or neither, is a usage error with an example', async () => {
  const byFlag = await run('new', '-m', 'add invoices', '--json');
  expectExit(byFlag, 0);
  const created = JSON.parse(byFlag.stdout) as { id: string; parent: string };
  assert.match(created.id, /^\d{14}_add_invoices$/);
  assert.is(created.parent, R2);
  const byArgument = await run('new', 'add refunds');
  expectExit(byArgument, 0);
  expectText(byArgument.stdout, `_add_refunds (parent ${created.id})`);
  const longFlag = await run('new', '--message', '2027 plan');
  expectExit(longFlag, 0);
  expectText(longFlag.stdout, '_2027_plan');

  const both = await run('new', 'one', '-m', 'two');
  expectExit(both, 2);
  expectText(both.stderr, 'error: strata new got the message twice: as the argument and with -m', 'e.g. strata new "add orders table" (or strata new -m "add orders table")');
  const neither = await run('new');
  expectExit(neither, 2);
  expectText(neither.stderr, 'error: strata new needs a message', 'fix: e.g. strata new "add orders table" (or strata new -m "add orders table")');
  const noValue = await run('new', '-m');
  expectExit(noValue, 2);
  expectText(noValue.stderr, '--message needs a value');
  const folders = readdirSync(path.join(project.dir, 'migrations')).filter((name) => name !== R1 && name !== R2);
  assert.is(folders.length, 3, `only the three created: ${folders.join(', ')}`);
});

test.run();
