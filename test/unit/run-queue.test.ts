import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createRunQueue } from '../../src/watch/run-queue.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A run that takes `ms`, recording when it ran and the most runs seen at once. */
function recorder(ms: number) {
  const state = { runs: 0, active: 0, maxActive: 0, seen: [] as number[], value: 0 };
  const run = async () => {
    state.runs++;
    state.active++;
    state.maxActive = Math.max(state.maxActive, state.active);
    const read = state.value; // a run reads the "file" when it starts
    await sleep(ms);
    state.seen.push(read);
    state.active--;
  };
  return { state, run };
}

async function settle(queue: { isBusy: boolean }) {
  for (let i = 0; i < 500 && queue.isBusy; i++) await sleep(2);
  assert.not.ok(queue.isBusy, 'the queue should have gone idle');
}

test('one trigger, one run; nothing runs without a trigger', async () => {
  const { state, run } = recorder(5);
  const queue = createRunQueue(run, (e) => { throw e; });
  await sleep(10);
  assert.is(state.runs, 0);
  queue.trigger();
  await settle(queue);
  assert.is(state.runs, 1);
});

test('triggers in the same turn start a single run', async () => {
  const { state, run } = recorder(5);
  const queue = createRunQueue(run, (e) => { throw e; });
  for (let i = 0; i < 10; i++) queue.trigger();
  await settle(queue);
  assert.is(state.runs, 1);
});

test('any number of triggers during a run cause exactly one more run, which sees the newest value', async () => {
  // the run is held open until the test releases it, so every trigger below lands during it
  let release: () => void = () => {};
  let value = 0;
  const seen: number[] = [];
  const queue = createRunQueue(async () => {
    seen.push(value);
    await new Promise<void>((resolve) => (release = resolve));
  }, (e) => { throw e; });
  queue.trigger();
  while (seen.length === 0) await sleep(1);
  for (let i = 1; i <= 20; i++) {
    value = i;
    queue.trigger();
    await new Promise((resolve) => setImmediate(resolve));
  }
  release();
  while (seen.length === 1) await sleep(1);
  release();
  await settle(queue);
  assert.equal(seen, [0, 20]);
});

test('runs never overlap under triggers at random moments', async () => {
  const { state, run } = recorder(3);
  const queue = createRunQueue(run, (e) => { throw e; });
  for (let i = 1; i <= 60; i++) {
    state.value = i;
    queue.trigger();
    await sleep(Math.floor(Math.random() * 5));
  }
  await settle(queue);
  assert.is(state.maxActive, 1);
  assert.is(state.seen.at(-1), 60, 'the last run saw the last value');
  assert.ok(state.runs < 60, `runs were coalesced (${state.runs} runs for 60 triggers)`);
});

test('a failing run is reported and the queue goes on', async () => {
  const errors: unknown[] = [];
  let calls = 0;
  const queue = createRunQueue(async () => {
    calls++;
    await sleep(1);
    if (calls === 1) throw new Error('boom');
  }, (e) => errors.push(e));
  queue.trigger();
  await settle(queue);
  queue.trigger();
  await settle(queue);
  assert.is(calls, 2);
  assert.is(errors.length, 1);
  assert.is((errors[0] as Error).message, 'boom');
});

test('close waits for the run in progress and starts no more', async () => {
  const { state, run } = recorder(20);
  const queue = createRunQueue(run, (e) => { throw e; });
  queue.trigger();
  await sleep(5);
  queue.trigger(); // would cause a second run
  await queue.close();
  assert.is(state.active, 0, 'close resolved after the run ended');
  queue.trigger();
  await sleep(30);
  assert.is(state.runs, 1);
});

test.run();
