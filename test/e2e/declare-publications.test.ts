import { CELLS } from '../helpers/declare-cells/publications.js';
import { proveCells } from '../helpers/declare-proof.js';

// The generator's cells for publications, each proven up and down on PostgreSQL.
proveCells('declare_publications', CELLS);
