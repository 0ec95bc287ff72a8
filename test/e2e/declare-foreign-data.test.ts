import { CELLS } from '../helpers/declare-cells/foreign-data.js';
import { proveCells } from '../helpers/declare-proof.js';

// The generator's cells for foreign-data wrappers, servers, user mappings and foreign tables, each proven up and down on PostgreSQL.
proveCells('declare_foreign_data', CELLS);
