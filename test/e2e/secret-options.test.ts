import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { expectExit, expectNoText, expectText, projectWithDatabase, revisionFiles } from '../helpers/e2e.js';

/**
 * Secret options (a server's, a user mapping's, a foreign table's password or key) never leave
 * the database through strata: no output of dump, check, diff (text and --json) or
 * new --from-schema holds one, nor any file strata writes (schema.sql, the revisions it
 * generates). A revision written by hand sets them; schema.sql, which cannot say them, keeps
 * them as they are; one declared in schema.sql is refused by name, its value not repeated.
 */
const SECRETS = ['Srv-Pa55', 'Map-Pa55', 'Tbl-Key9', 'Col-Tok7'];
const DECLARED = 'Decl-Pa55';
const R1 = '20261201090000_remote_orders';
const UP = `create foreign data wrapper w;
create server s foreign data wrapper w options (host 'remote.example', password '${SECRETS[0]}');
create user mapping for public server s options ("user" 'reader', password '${SECRETS[1]}');
create foreign table remote_orders (id integer options (column_name 'order_id', api_token '${SECRETS[3]}'), total numeric) server s options (table_name 'orders', api_key '${SECRETS[2]}');
`;
const { db, project, run } = await projectWithDatabase('secret_options', revisionFiles(R1, 'base', UP, 'drop foreign data wrapper w cascade;\n'));

/** Every file of the project that strata wrote (the hand-written revision holds the secrets: it is the user's) */
function writtenFiles(): Array<[string, string]> {
  const files: Array<[string, string]> = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const full = path.join(dir, name);
      if (statSync(full).isDirectory()) walk(full);
      else if (!full.includes(R1)) files.push([path.relative(project.dir, full), readFileSync(full, 'utf8')]);
    }
  };
  walk(project.dir);
  return files;
}

function expectNoSecret(text: string, what: string, secrets: readonly string[] = SECRETS): void {
  for (const secret of secrets) assert.ok(!text.includes(secret), `${what} holds the secret ${secret}:\n${text}`);
}

test('dump, check, diff, diff --json and new --from-schema write no secret anywhere; schema.sql leaves them out and says so', async () => {
  if (!db) return;
  const dumped = await run('dump');
  expectExit(dumped, 0, 'dump');
  expectNoSecret(dumped.output, 'dump output');
  expectText(dumped.output, 'secret option', 'server s: password', 'user mapping for public server s: password', 'foreign table public.remote_orders: api_key', 'column public.remote_orders.id: api_token');
  const schema = readFileSync(path.join(project.dir, 'schema.sql'), 'utf8');
  expectNoText(schema, 'password', 'api_key', 'api_token');
  expectText(schema, "create server s foreign data wrapper w options (host 'remote.example');", `create user mapping for public server s options ("user" 'reader');`, "id integer options (column_name 'order_id')");

  const checked = await run('check');
  expectNoSecret(checked.output, 'check output');
  const checkedJson = await run('check', '--json');
  expectNoSecret(checkedJson.output, 'check --json output');

  // schema.sql edited: the secrets the database has and schema.sql cannot say are kept as they are
  project.write('schema.sql', `${schema}\ncreate table notes (id integer);\n`);
  for (const args of [['diff'], ['diff', '--json']]) {
    const diffed = await run(...args);
    expectExit(diffed, 0, args.join(' '));
    expectNoSecret(diffed.output, `${args.join(' ')} output`);
    expectText(diffed.output, 'create table public.notes');
  }
  const made = await run('new', 'notes', '--from-schema');
  expectExit(made, 0, 'new --from-schema');
  expectNoSecret(made.output, 'new --from-schema output');
  for (const [file, text] of writtenFiles()) expectNoSecret(text, file);

  // a secret declared in schema.sql is refused by name, and its value is not repeated
  project.write('schema.sql', `${readFileSync(path.join(project.dir, 'schema.sql'), 'utf8')}\ncreate user mapping for current_user server s options (password '${DECLARED}');\n`);
  const refused = await run('diff');
  assert.is.not(refused.code, 0, refused.output);
  expectText(refused.output, 'holds a secret, which strata never writes into a file');
  expectNoSecret(refused.output, 'diff output (refused)', [...SECRETS, DECLARED]);
  const refusedJson = await run('diff', '--json');
  expectNoSecret(refusedJson.output, 'diff --json output (refused)', [...SECRETS, DECLARED]);
  const notMade = await run('new', 'mapping', '--from-schema');
  assert.is.not(notMade.code, 0, notMade.output);
  expectNoSecret(notMade.output, 'new --from-schema output (refused)', [...SECRETS, DECLARED]);
  for (const [file, text] of writtenFiles()) if (file !== 'schema.sql') expectNoSecret(text, file, [...SECRETS, DECLARED]);
});

test.run();
