import { quoteLiteral } from '../../sql/quote.js';
import type { CatalogFamily, CatalogObject, IntrospectOptions } from './catalog-family.js';

/**
 * Subscriptions (logical replication's receiving side) of this database, those that reach no
 * publisher: disabled, without a replication slot (slot_name = NONE), made WITH (connect = false).
 * Creating, altering and dropping one of those never connects to the server its connection
 * names, so a migration of it can be proven on a shadow. Any other subscription is listed as not
 * modelled (unmodelled.ts): an enabled one streams from its publisher, and dropping one with a
 * slot drops the slot there, which a proof on a shadow must never do; a connection that holds a
 * password is a secret strata does not write into schema.sql or a revision. pg_subscription is the
 * cluster's; its connection (subconninfo) only a superuser may read, so for anyone else the
 * catalog is not read at all and its subscriptions are named as not modelled.
 */

/** SQL over pg_subscription `s`: it is this database's (the catalog is the cluster's) */
export const SQL_SUBSCRIPTION_OF_THIS_DATABASE = `s.subdbid = (select oid from pg_database where datname = current_database())`;
/** its connection names a password (password=..., or a URI's user:password@); reads subconninfo, a superuser's */
export const SQL_PASSWORD_IN_CONNECTION = `(s.subconninfo ~* 'password' or s.subconninfo ~* '^[a-z]+://[^/?#@]*:[^/?#@]*@')`;
/** it is one this family reads: disabled, without a slot, no password; reads subconninfo, a superuser's */
export const SQL_MODELLED_SUBSCRIPTION = `(not s.subenabled and s.subslotname is null and not ${SQL_PASSWORD_IN_CONNECTION})`;

/** The options PostgreSQL 15 does not have read as its behaviour, the defaults of 16 and 17 */
const sqlOf = (options: IntrospectOptions) => {
  const v = options.serverVersionNum;
  const since = (version: number, column: string, otherwise: string) => (v >= version ? column : otherwise);
  return `(select json_agg(json_build_array(s.oid, s.subname, quote_ident(s.subname), s.subconninfo,
      (select json_agg(quote_ident(p)) from unnest(s.subpublications) as p), s.subbinary,
      ${since(160000, 's.substream::text', `case when s.substream then 't' else 'f' end`)}, s.subtwophasestate::text, s.subdisableonerr, s.subsynccommit,
      ${since(160000, 's.subpasswordrequired', 'true')}, ${since(160000, 's.subrunasowner', 'false')}, ${since(160000, 's.suborigin', `'any'`)}, ${since(170000, 's.subfailover', 'false')})
      order by s.subname)
    from pg_subscription s where ${SQL_SUBSCRIPTION_OF_THIS_DATABASE} and ${SQL_MODELLED_SUBSCRIPTION})`;
};

export const SUBSCRIPTIONS: CatalogFamily = {
  name: 'subscriptions',
  sql: (options) => (options.superuser ? sqlOf(options) : 'select null::json'),
  read(value) {
    return ((value ?? []) as SubscriptionRow[]).map(readSubscription);
  },
};

type SubscriptionRow = [
  oid: number, name: string, quoted: string, connection: string, publications: string[] | null, binary: boolean, streaming: string,
  twoPhase: string, disableOnError: boolean, synchronousCommit: string, passwordRequired: boolean, runAsOwner: boolean, origin: string, failover: boolean,
];

const STREAMING: Record<string, string> = { f: 'off', t: 'on', p: 'parallel' };

/** each option as CREATE SUBSCRIPTION ... WITH takes it, with its value when not given */
const OPTIONS: ReadonlyArray<[attribute: string, option: string, unset: string | boolean]> = [
  ['binary', 'binary', false], ['streaming', 'streaming', 'off'], ['twoPhase', 'two_phase', false], ['disableOnError', 'disable_on_error', false],
  ['synchronousCommit', 'synchronous_commit', 'off'], ['passwordRequired', 'password_required', true], ['runAsOwner', 'run_as_owner', false],
  ['origin', 'origin', 'any'], ['failover', 'failover', false],
];

/** `binary = true`, ... for each option whose value differs from `before`'s (from what it is when not given, without `before`) */
export function subscriptionOptions(after: { [key: string]: unknown }, before?: { [key: string]: unknown }): string[] {
  return OPTIONS.filter(([attribute, , unset]) => after[attribute] !== (before ? before[attribute] : unset))
    .map(([attribute, option]) => `${option} = ${typeof after[attribute] === 'string' ? quoteLiteral(after[attribute] as string) : String(after[attribute])}`);
}

function readSubscription(row: SubscriptionRow): CatalogObject {
  const [oid, name, quoted, connection, publications, binary, streaming, twoPhase, disableOnError, synchronousCommit, passwordRequired, runAsOwner, origin, failover] = row;
  const attributes = {
    connection, publications: [...(publications ?? [])].sort(byCodeUnits), binary, streaming: STREAMING[streaming] ?? streaming,
    // 'p' (pending): asked for, and turned on once the tables are synchronised, which a subscription that never connected has not
    twoPhase: twoPhase !== 'd', disableOnError, synchronousCommit, passwordRequired, runAsOwner, origin, failover,
  };
  const options = ['connect = false', 'slot_name = none', 'enabled = false', ...subscriptionOptions(attributes)];
  return {
    kind: 'subscription', identity: `subscription ${quoted}`, schema: null, name, dependsOn: [], attributes,
    create: `create subscription ${quoted} connection ${quoteLiteral(connection)} publication ${attributes.publications.join(', ')} with (${options.join(', ')});`,
    refs: [`pg_subscription:${oid}:0`],
  };
}

function byCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
