import { test } from 'uvu';
import { CELLS } from '../helpers/declare-cells/routines.js';
import { cellName, declareDatabases, proveCell, type DeclareDatabases } from '../helpers/declare-proof.js';

// The generator's cells for routines (enum, composite, range), domains and sequences, each proven up and down on PostgreSQL.
let dbs: DeclareDatabases | undefined;
test.before(async () => {
  dbs = await declareDatabases('declare_routines');
});
test.after(async () => {
  await dbs?.drop();
});

for (const cell of CELLS) {
  test(cellName(cell), async () => {
    if (!dbs) return;
    await proveCell(dbs, cell);
  });
}

test.run();
