import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { makeProject, runCli, spawnCli } from '../helpers/harness.js';
import { generateHistory, writeHistory } from '../helpers/history.js';

// kill -9 of `strata up` on the embedded database: the database dies with the process, so every
// revision reported applied must already be on disk (no commit may wait for a later flush).
const project = makeProject();
writeHistory(project.dir, generateHistory(6, (i) => ({
  up: `create table slow${i} (id int);\nselect pg_sleep(0.3);\n`,
  down: `drop table slow${i};\n`,
})));

test.after(() => project.remove());

test('kill -9 during up on PGlite keeps every revision it reported applied', async () => {
  const up = spawnCli(['up'], { cwd: project.dir, env: {} });
  up.onStdout((stdout) => {
    if ((stdout.match(/^applied /gm)?.length ?? 0) >= 3) up.kill();
  });
  const { stdout } = await up.result;
  const reported = [...stdout.matchAll(/^applied\s+(\S+)/gm)].map((m) => m[1]!);
  assert.ok(reported.length >= 3 && reported.length < 6, `killed mid-run:\n${stdout}`);

  const status = await runCli(['status', '--json'], { cwd: project.dir, env: {}, timeoutMs: 60_000 });
  assert.is(status.code, 0, status.output);
  const recorded = (JSON.parse(status.stdout) as { revisions: { id: string; state: string }[] }).revisions
    .filter((r) => r.state === 'applied').map((r) => r.id);
  for (const id of reported) assert.ok(recorded.includes(id), `${id} was reported applied, so it is recorded (recorded: ${recorded.join(', ')})`);

  const finish = await runCli(['up'], { cwd: project.dir, env: {}, timeoutMs: 60_000 });
  assert.is(finish.code, 0, finish.output);
  assert.match(finish.stdout, `${6 - recorded.length} applied`);
});

test.run();
