import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Database } from '../../src/db/database.js';
import { acquireRunLock, releaseRunLock } from '../../src/executor/advisory-lock.js';

// How a run is kept alone is the database's to say (Database.runLock): the embedded database is
// held by this process while it is open, so a run takes no advisory lock there, and releasing it
// sends nothing.
function databaseThatRefusesQueries(runLock: Database['runLock']): Database & { queries: string[] } {
  const queries: string[] = [];
  const refuse = (text: string) => {
    queries.push(text);
    throw new Error(`no query expected, got: ${text}`);
  };
  return {
    queries, runLock, isEmbedded: runLock === 'held-while-open', canDeferFlush: false, canCancel: false, serverVersionNum: 180000,
    query: async (text: string) => refuse(text),
    runScript: async (text: string) => refuse(text),
    reportedSetting: () => undefined,
    backendPid: async () => 1,
    close: async () => {},
  };
}

test("a database held while open: the run is alone already, no lock is asked for or released", async () => {
  const db = databaseThatRefusesQueries('held-while-open');
  const result = await acquireRunLock(db, 'strata', 1000, () => assert.unreachable('nobody to wait for'));
  assert.ok(result.ok);
  if (result.ok) {
    assert.is(result.lock.guard, undefined);
    await releaseRunLock(result.lock, 'strata');
  }
  assert.equal(db.queries, []);
});

test('a server: the advisory lock is asked for', async () => {
  const db = databaseThatRefusesQueries('advisory');
  await acquireRunLock(db, 'strata', 1000, () => {}).catch(() => {});
  assert.ok(db.queries.some((q) => q.includes('pg_try_advisory_lock')));
});

test.run();
