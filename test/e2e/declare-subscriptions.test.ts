import { CELLS } from '../helpers/declare-cells/subscriptions.js';
import { proveCells } from '../helpers/declare-proof.js';

// The generator's cells for subscriptions (those that reach no publisher), each proven up and down on PostgreSQL.
proveCells('declare_subscriptions', CELLS);
