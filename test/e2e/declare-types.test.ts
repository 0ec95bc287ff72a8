import { CELLS } from '../helpers/declare-cells/types.js';
import { proveCells } from '../helpers/declare-proof.js';

// The generator's cells for types (enum, composite, range), domains and sequences, each proven up and down on PostgreSQL.
proveCells('declare_types', CELLS);
