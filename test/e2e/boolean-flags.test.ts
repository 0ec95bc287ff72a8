import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { expectExit, revisionFiles } from '../helpers/e2e.js';
import { makeProject, runCli } from '../helpers/harness.js';

// A boolean flag spelled with a dash (--single-transaction, --from-schema, --exit-code) before a
// target or message: the word after it is the command's argument, never the flag's value. cac gave
// the parser those flags camel-cased, so `up --single-transaction +1` read +1 as the flag's value
// and ran every pending revision, and `new --from-schema "add notes"` lost its message.
const A = '20261101090000_a';
const B = '20261102090000_b';
const C = '20261103090000_c';
const project = makeProject({
  ...revisionFiles(A, 'base', 'create table a (id int);', 'drop table a;'),
  ...revisionFiles(B, A, 'create table b (id int);', 'drop table b;'),
  ...revisionFiles(C, B, 'create table c (id int);', 'drop table c;'),
});
test.after(() => project.remove());
const strata = (...args: string[]) => runCli(args, { cwd: project.dir, env: { DATABASE_URL: undefined } });

test('a target after --single-transaction is the target, +1 included', async () => {
  for (const args of [['sql', 'up', '--single-transaction', '+1', '--from', 'base'], ['sql', 'up', '--from', 'base', '--single-transaction', '+1'], ['sql', 'up', '+1', '--single-transaction', '--from', 'base']]) {
    const result = await strata(...args);
    expectExit(result, 0, args.join(' '));
    assert.match(result.stdout, /^-- strata sql up: apply 1 revision\b/m, args.join(' '));
    assert.match(result.stdout, `${A}`);
    assert.not.match(result.stdout, `${B}`, args.join(' '));
  }
  const prefix = await strata('sql', 'up', '--single-transaction', '20261102', '--from', 'base');
  expectExit(prefix, 0);
  assert.match(prefix.stdout, /^-- strata sql up: apply 2 revisions\b/m);
  assert.not.match(prefix.stdout, C);
});

test('a message after --from-schema is the message', async () => {
  const result = await strata('new', '--from-schema', 'add notes');
  // no schema.sql here: refused for that, not for the message
  expectExit(result, 2);
  assert.match(result.stderr, 'schema.sql');
  assert.not.match(result.stderr, 'needs a message');
  assert.not.match(result.stderr, 'got the message twice');
});

test.run();
