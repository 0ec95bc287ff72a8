import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createProgress, PROGRESS_MIN_STEPS } from '../../src/cli/progress.js';

function fakeStream(isTTY: boolean, columns?: number) {
  const writes: string[] = [];
  return { writes, stream: { isTTY, columns, write: (text: string) => writes.push(text) } };
}

/** What a terminal shows after the writes: carriage returns go back to the start of the line. */
function screen(writes: readonly string[]): string {
  let line = '';
  let cursor = 0;
  for (const ch of writes.join('')) {
    if (ch === '\r') cursor = 0;
    else {
      line = line.slice(0, cursor) + ch + line.slice(cursor + 1);
      cursor++;
    }
  }
  return line.trimEnd();
}

test('on a terminal: revision n of N with the elapsed time, rewritten in place', () => {
  let now = 1000;
  const { writes, stream } = fakeStream(true, 120);
  const progress = createProgress(stream, { now: () => now });
  progress.step(0, 5, '20261101090000_first');
  assert.is(screen(writes), 'revision 1 of 5: 20261101090000_first (0.0 s)');
  now += 2500;
  progress.step(1, 5, '20261102090000_second_one');
  assert.is(screen(writes), 'revision 2 of 5: 20261102090000_second_one (2.5 s)');
  assert.ok(writes.every((w) => w.startsWith('\r')), 'every write starts at the beginning of the line');
  assert.ok(!writes.join('').includes('\n'), 'never a new line');
  now += 3000;
  progress.step(2, 5, '20261103090000_x');
  assert.is(screen(writes), 'revision 3 of 5: 20261103090000_x (5.5 s)', 'a shorter line overwrites the longer one completely');
  progress.clear();
  assert.is(screen(writes), '', 'cleared before other output');
  now += 120_000;
  progress.step(3, 5, '20261104090000_y');
  assert.is(screen(writes), 'revision 4 of 5: 20261104090000_y (2 min 5 s)');
  progress.stop();
  assert.is(screen(writes), '');
});

test('nothing when not a terminal, when disabled, or for a short run', () => {
  for (const [isTTY, isEnabled, total] of [[false, true, 50], [true, false, 50], [true, true, PROGRESS_MIN_STEPS - 1]] as const) {
    const { writes, stream } = fakeStream(isTTY);
    const progress = createProgress(stream, { isEnabled });
    for (let i = 0; i < total; i++) progress.step(i, total, `r${i}`);
    progress.stop();
    assert.equal(writes, [], `isTTY ${isTTY}, enabled ${isEnabled}, ${total} steps`);
  }
});

test('a line wider than the terminal is cut, so it never wraps (a wrapped line cannot be rewritten)', () => {
  const { writes, stream } = fakeStream(true, 30);
  const progress = createProgress(stream, { now: () => 0 });
  progress.step(0, 10, '20261101090000_a_very_long_revision_name');
  const shown = screen(writes);
  assert.ok(shown.length <= 29, shown);
  assert.ok(shown.endsWith('…'));
  progress.stop();
});

test.run();
