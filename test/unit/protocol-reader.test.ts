import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { BackendMessageReader } from '../../src/db/protocol-reader.js';

/** Backend messages as a server writes them: type byte, int32 length (itself included), body. */
function message(type: string, body: Uint8Array): Uint8Array {
  const out = new Uint8Array(5 + body.length);
  out[0] = type.charCodeAt(0);
  new DataView(out.buffer).setInt32(1, body.length + 4);
  out.set(body, 5);
  return out;
}
const text = (...parts: string[]) => new TextEncoder().encode(parts.map((p) => `${p}\0`).join(''));
const concat = (...chunks: Uint8Array[]) => {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
};
const dataRow = (value: string) => {
  const bytes = new TextEncoder().encode(value);
  const body = new Uint8Array(2 + 4 + bytes.length);
  const view = new DataView(body.buffer);
  view.setInt16(0, 1);
  view.setInt32(2, bytes.length);
  body.set(bytes, 6);
  return message('D', body);
};

const stream = concat(
  message('S', text('standard_conforming_strings', 'off')),
  message('C', text('CREATE TABLE')),
  message('T', new Uint8Array(30)),
  ...Array.from({ length: 50 }, (_, i) => dataRow(`row ${i} é😀`)),
  message('C', text('SELECT 50')),
  message('N', text('SNOTICE', 'Mskipping')),
  message('E', concat(text('SERROR', 'VERROR', 'C42703', 'Mcolumn "nocol" does not exist', 'P14', 'Hcheck é'), new Uint8Array([0]))),
  message('Z', new TextEncoder().encode('E')),
);

test('the outcome of a script, whatever the chunks: tags, the error, the status, the settings reported', () => {
  for (const size of [1, 2, 3, 5, 7, 64, stream.length]) {
    const settings: string[] = [];
    const reader = new BackendMessageReader((name, value) => settings.push(`${name}=${value}`));
    for (let at = 0; at < stream.length; at += size) {
      // the reader may keep nothing of a chunk: hand it a buffer that is overwritten afterwards
      const chunk = stream.slice(at, at + size);
      reader.push(chunk);
      chunk.fill(0xff);
    }
    const result = reader.result();
    assert.equal(settings, ['standard_conforming_strings=off'], `chunks of ${size}`);
    assert.equal(result.commands, ['CREATE TABLE', 'SELECT 50'], `chunks of ${size}`);
    assert.is(result.status, 'failed');
    assert.ok(!result.ok);
    if (!result.ok) {
      assert.is(result.completedStatements, 2);
      assert.equal([result.error.code, result.error.message, result.error.position, result.error.hint, result.error.severity], ['42703', 'column "nocol" does not exist', 14, 'check é', 'ERROR']);
    }
  }
});

test('a successful script: ok, idle; rows are not kept (a large one only passes through)', () => {
  const reader = new BackendMessageReader();
  const big = dataRow('x'.repeat(1_000_000));
  reader.push(big.subarray(0, 10));
  reader.push(big.subarray(10));
  reader.push(concat(message('C', text('SELECT 1')), message('Z', new TextEncoder().encode('I'))));
  assert.equal(reader.result(), { ok: true, commands: ['SELECT 1'], status: 'idle' });
});

test.run();
