import { CELLS } from '../helpers/declare-cells/routines.js';
import { proveCells } from '../helpers/declare-proof.js';

// The generator's cells for routines (enum, composite, range), domains and sequences, each proven up and down on PostgreSQL.
proveCells('declare_routines', CELLS);
