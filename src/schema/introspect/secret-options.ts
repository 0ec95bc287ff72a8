import { createHmac, randomBytes } from 'node:crypto';
import { quoteLiteral } from '../../sql/quote.js';
import { SECRET_KEY_PATTERN } from '../../text/secret-values.js';
import type { Json, UnmodelledObject } from '../model/snapshot.js';

/**
 * Generic options (OPTIONS (...) of a foreign-data wrapper, a server, a user mapping, a foreign
 * table and its columns), read with their secrets kept out. An option whose key names a secret
 * (a password, a token, a key ...) never reaches strata: the catalog query hands back only the
 * sha256 of its value, which is keyed again here with a key of this process's own (an unkeyed
 * digest of a short password can be reversed by trying guesses). The object is modelled without
 * it; the option is listed as unmodelled ('secret option'), so dump and check say schema.sql does
 * not hold it and the generator refuses whatever would have to write it (declare/secret-options.ts).
 */


/**
 * A scalar subquery: the options of a `text[]` catalog column (`w.fdwoptions`), as
 * [key, quoted key, value or null, sha256 (hex) of a secret's value or null], unsorted.
 */
export const SQL_OPTIONS = (column: string) => `(select json_agg(json_build_array(o.option_name, quote_ident(o.option_name),
    case when o.option_name ~* '${SECRET_KEY_PATTERN}' then null else o.option_value end,
    case when o.option_name ~* '${SECRET_KEY_PATTERN}' then encode(sha256(convert_to(coalesce(o.option_value, ''), 'UTF8')), 'hex') end))
  from pg_options_to_table(${column}) as o)`;

export type OptionRow = [key: string, quoted: string, value: string | null, secretDigest: string | null];

export interface ReadOptions {
  /** the options that are not secrets, by key: what diff compares */
  options: { [key: string]: Json };
  /** ` options (host 'db', port '5432')`, or '' when there are none (secrets left out) */
  clause: string;
  /** one 'secret option' per secret, named `<owner>: <key>` */
  secrets: UnmodelledObject[];
}

const PROCESS_KEY = randomBytes(32);

/** The options of the object `owner` (its identity), sorted by key (not in SQL: the collation differs between servers). */
export function readOptions(rows: readonly OptionRow[] | null, owner: string): ReadOptions {
  const sorted = [...(rows ?? [])].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const options: { [key: string]: Json } = {};
  const written: string[] = [];
  const secrets: UnmodelledObject[] = [];
  for (const [key, quoted, value, digest] of sorted) {
    if (digest !== null) {
      secrets.push({ kind: 'secret option', identity: `${owner}: ${quoted}`, of: owner, digest: createHmac('sha256', PROCESS_KEY).update(digest).digest('hex').slice(0, 16) });
      continue;
    }
    options[key] = value;
    written.push(`${quoted} ${quoteLiteral(value ?? '')}`);
  }
  return { options, clause: written.length === 0 ? '' : ` options (${written.join(', ')})`, secrets };
}
