import { CELLS } from '../helpers/declare-cells/constraints.js';
import { proveCells } from '../helpers/declare-proof.js';

// The generator's cells for constraints (primary key, unique, check, foreign key, exclusion) and indexes, each proven up and down on PostgreSQL.
proveCells('declare_constraints', CELLS);
