import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { findPgBinary, startCluster, type Cluster } from '../../bench/cluster.js';
import { makeProject, spawnCli } from '../helpers/harness.js';
import { generateHistory, writeHistory } from '../helpers/history.js';
import { random } from '../helpers/random.js';

// A server that stops at once (pg_ctl stop -m immediate: no checkpoint, as after a crash or a kill
// -9 of the postmaster) while `strata up` runs (issue 8, item 5): every revision strata printed as
// applied must still be there after recovery, and what strata said about the rest must not be
// contradicted by what recovery left. The cluster's WAL writer is slowed down (wal_writer_delay
// 10 s), so that nothing is flushed unless a commit waits for it.
const TRIALS = 8;
const REVISIONS = 80;
const seed = Number(process.env.CRASH_SEED ?? Math.floor(Math.random() * 2 ** 31));

let cluster: Cluster | undefined;
let root: string | undefined;
try {
  findPgBinary('initdb');
  findPgBinary('pg_ctl');
  root = mkdtempSync(path.join(os.tmpdir(), 'strata-crash-'));
  chmodSync(root, 0o755);
  cluster = await startCluster(root, ['wal_writer_delay=10000']);
} catch (error) {
  if (process.env.CI) throw error;
  console.warn(`SKIP: cannot start a throwaway PostgreSQL cluster: ${(error as Error).message}`);
}
const project = makeProject();
writeHistory(project.dir, generateHistory(REVISIONS, (i) => ({ up: `create table t${i} (id int primary key);\ninsert into t${i} values (${i});\n`, down: '' })));

test.after(() => {
  project.remove();
  cluster?.stop('immediate');
  if (root) rmSync(root, { recursive: true, force: true });
});

/** `strata up`, and an immediate stop of the server once it has printed `after` applied revisions. */
function upUntilCrash(url: string, after: number): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const up = spawnCli(['up'], { cwd: project.dir, env: { DATABASE_URL: url } });
  let crashed = false;
  up.onStdout((stdout) => {
    if (!crashed && (stdout.match(/^applied /gm)?.length ?? 0) >= after) {
      crashed = true;
      cluster!.stop('immediate');
    }
  });
  return up.result;
}


(cluster ? test : test.skip)(`an immediate server stop at ${TRIALS} moments of a run: what strata printed applied survives`, async () => {
  const c = cluster!;
  const next = random(seed);
  const url = c.url('crash');
  c.sql('postgres', 'create database crash');
  const stoppedAfter: number[] = [];
  for (let trial = 0; trial < TRIALS; trial++) {
    c.sql('crash', 'drop schema if exists strata cascade; drop schema public cascade; create schema public');
    // stratified over the first two thirds of the run, so the stop lands mid-run
    const after = 1 + Math.floor(((trial + next()) / TRIALS) * REVISIONS * 0.66);
    const run = await upUntilCrash(url, after);
    c.start();
    const context = `trial ${trial + 1}: stopped after ${after} printed (seed ${seed})`;
    const printed = [...run.stdout.matchAll(/^applied\s+(\S+)/gm)].map((m) => m[1]!);
    if (printed.length >= REVISIONS) continue; // the run finished before the stop took effect
    stoppedAfter.push(printed.length);
    assert.is(run.code, 1, `${context}\n${run.stdout}\n${run.stderr}`);
    const recorded = c.sql('crash', "select id from strata.revisions order by id").split('\n').filter(Boolean);
    const tables = Number(c.sql('crash', "select count(*) from pg_tables where schemaname = 'public'").trim());
    assert.equal(recorded.slice(0, printed.length), printed, `${context}: every revision printed applied is recorded after recovery\nrecorded: ${recorded.join(', ')}`);
    assert.is(tables, recorded.length, `${context}: objects and records survive together`);
    // what strata said about the rest: nothing recovery contradicts
    for (const id of recorded.slice(printed.length)) {
      assert.not.match(run.stderr, `${id} is not recorded`, `${context}: ${id} survived, so strata must not have said it was rolled back`);
    }
    assert.not.match(run.stderr, 'the database is as it was before', `${context}: the server was down: strata could not know\n${run.stderr}`);
  }
  assert.ok(stoppedAfter.length >= TRIALS - 2, `most stops landed mid-run (after ${stoppedAfter.join(', ')} printed)`);
});

test.run();
