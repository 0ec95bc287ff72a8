import type { Cell } from '../declare-proof.js';

/**
 * Cells of subscriptions that reach no publisher (disabled, slot_name = none: subscriptions.ts),
 * so that proving them connects to nothing; the publisher they name is never asked.
 */
const CREATE = (name: string, publications: string, options = '') =>
  `create subscription ${name} connection 'host=localhost dbname=postgres' publication ${publications} with (connect = false, slot_name = none, enabled = false${options});`;

export const CELLS: Cell[] = [
  { kind: 'subscription', change: 'create', current: '', desired: CREATE('feed', 'orders_pub', ", binary = true, streaming = on, synchronous_commit = 'local'") },
  { kind: 'subscription', change: 'drop (with its comment: Transaction off)', current: `${CREATE('feed', 'orders_pub')} comment on subscription feed is 'orders';`, desired: '', transactionOff: true },
  { kind: 'subscription', change: 'alter connection, publications', current: CREATE('feed', 'orders_pub'),
    desired: CREATE('feed', 'orders_pub, items_pub').replace('dbname=postgres', 'dbname=postgres application_name=feed'),
    upMatches: [/^alter subscription feed connection 'host=localhost dbname=postgres application_name=feed';$/, /^alter subscription feed set publication items_pub, orders_pub with \(refresh = false\);$/] },
  { kind: 'subscription', change: 'alter options', current: CREATE('feed', 'orders_pub'), desired: CREATE('feed', 'orders_pub', ", binary = true, disable_on_error = true, synchronous_commit = 'remote_apply'"),
    upMatches: [/^alter subscription feed set \(binary = true, disable_on_error = true, synchronous_commit = 'remote_apply'\);$/] },
  { kind: 'subscription', change: 'alter two_phase (made again)', current: CREATE('feed', 'orders_pub'), desired: CREATE('feed', 'orders_pub', ', two_phase = true'), upMatches: [/^drop subscription feed;$/] },
  { kind: 'subscription', change: 'comment', current: CREATE('feed', 'orders_pub'), desired: `${CREATE('feed', 'orders_pub')} comment on subscription feed is 'orders';` },
  { kind: 'subscription (with a replication slot)', change: 'create (refused)', current: '',
    desired: "create subscription feed connection 'host=localhost dbname=postgres' publication orders_pub with (connect = false, slot_name = 'feed_slot', enabled = false);", refused: /replication slot/ },
  { kind: 'subscription (a password in its connection)', change: 'create (refused)', current: '',
    desired: "create subscription feed connection 'host=localhost dbname=postgres password=secret' publication orders_pub with (connect = false, slot_name = none, enabled = false);", refused: /holds a password/ },
];
