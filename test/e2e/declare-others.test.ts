import { test } from 'uvu';
import { adminQuery } from '../helpers/harness.js';
import { CELLS } from '../helpers/declare-cells/others.js';
import { cellName, declareDatabases, proveCell, type DeclareDatabases } from '../helpers/declare-proof.js';

// The generator's cells for comments, privileges, extensions, collations and kinds not modelled, proven up and down on PostgreSQL.
let dbs: DeclareDatabases | undefined;
const reader = `strata_declare_reader_${process.pid}`;
test.before(async () => {
  dbs = await declareDatabases('declare_others');
  if (dbs) await adminQuery(`create role ${reader}`);
});
test.after(async () => {
  await dbs?.drop();
  if (dbs) await adminQuery(`drop role if exists ${reader}`);
});
test.after.each(async () => {
  // default privileges are the database's: dropping schemas does not take them away
  for (const db of dbs ? [dbs.work, dbs.target] : []) {
    await db.query(`drop owned by ${reader}`);
    for (const objects of ['tables', 'sequences', 'functions', 'types', 'schemas']) await db.query(`alter default privileges revoke all on ${objects} from ${reader}`);
  }
});

for (const cell of CELLS) {
  test(cellName(cell), async () => {
    if (!dbs) return;
    await proveCell(dbs, { ...cell, current: cell.current.replace(/READER/g, reader), desired: cell.desired.replace(/READER/g, reader) });
  });
}

test.run();
