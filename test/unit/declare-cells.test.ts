import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { KIND_PRIORITY } from '../../src/declare/identities.js';
import { ALL_CELLS, coverageTable, kindOf } from '../helpers/declare-cells/index.js';

// The kind x change table of the generator covers every kind of the snapshot: each one is created
// and dropped by some cell (proven on PostgreSQL by test/e2e/declare-*.test.ts), and each cell is named once.
test('every kind of the snapshot has a create cell and a drop cell', () => {
  const kinds = new Set(ALL_CELLS.map(kindOf));
  const missing: string[] = [];
  for (const kind of Object.keys(KIND_PRIORITY)) {
    const cells = ALL_CELLS.filter((c) => kindOf(c) === kind);
    if (!kinds.has(kind)) missing.push(`${kind}: no cell`);
    else {
      if (!cells.some((c) => c.change.startsWith('create') && !c.refused)) missing.push(`${kind}: no create`);
      if (!cells.some((c) => c.change.startsWith('drop'))) missing.push(`${kind}: no drop`);
    }
  }
  assert.equal(missing, []);
});

test('cells are named once each, and the table lists them', () => {
  const names = ALL_CELLS.map((c) => `${c.kind}: ${c.change}`);
  assert.equal(names.filter((n, k) => names.indexOf(n) !== k), []);
  const table = coverageTable();
  assert.ok(table.startsWith('| object kind | proven up and down | refused by name |'));
  if (process.env.DECLARE_TABLE) console.log(table);
});

test("the README's coverage table is the cells' own (DECLARE_TABLE=1 prints it)", () => {
  const readme = readFileSync(path.resolve(import.meta.dirname, '..', '..', '..', 'README.md'), 'utf8');
  assert.ok(readme.includes(`${coverageTable()}\n`), 'README.md: the table under "object kind | proven up and down" differs from coverageTable(): paste the one DECLARE_TABLE=1 node dist/test/unit/declare-cells.test.js prints');
});

test.run();
