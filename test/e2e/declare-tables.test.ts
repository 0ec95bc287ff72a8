import { CELLS } from '../helpers/declare-cells/tables.js';
import { proveCells } from '../helpers/declare-proof.js';

// The generator's cells for schemas, tables and columns, each proven up and down on PostgreSQL.
proveCells('declare_tables', CELLS);
