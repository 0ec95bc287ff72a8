import { test } from 'uvu';
import { CELLS } from '../helpers/declare-cells/constraints.js';
import { cellName, declareDatabases, proveCell, type DeclareDatabases } from '../helpers/declare-proof.js';

// The generator's cells for constraints (primary key, unique, check, foreign key, exclusion) and indexes, each proven up and down on PostgreSQL.
let dbs: DeclareDatabases | undefined;
test.before(async () => {
  dbs = await declareDatabases('declare_constraints');
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
