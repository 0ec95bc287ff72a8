import type { Cell } from '../declare-proof.js';

/**
 * Cells of the foreign-data family: foreign-data wrappers, servers, user mappings, foreign tables
 * and their columns. A wrapper without a handler loads anywhere (no extension needed); one cell
 * puts a server on postgres_fdw's wrapper, which is the extension's. Secret options (a password)
 * are refused by name wherever a statement would have to hold one.
 */
const W = 'create foreign data wrapper w;';
const S = `${W} create server s foreign data wrapper w;`;
const FT = `${S} create foreign table ft (id integer, qty integer not null, note text default 'x', old text) server s;`;

export const CELLS: Cell[] = [
  { kind: 'foreign-data wrapper', change: 'create', current: '', desired: "create foreign data wrapper w options (debug 'true', \"User\" 'it''s');" },
  { kind: 'foreign-data wrapper', change: 'drop', current: "create foreign data wrapper w options (debug 'true');", desired: '' },
  { kind: 'foreign-data wrapper', change: 'alter options (add, set, drop)', current: "create foreign data wrapper w options (debug 'true', a 'x');", desired: "create foreign data wrapper w options (debug 'false', b 'y');" },
  { kind: 'foreign-data wrapper', change: 'alter validator', current: 'create function v(text[], oid) returns void language plpgsql as $$ begin end $$; create foreign data wrapper w;',
    desired: 'create function v(text[], oid) returns void language plpgsql as $$ begin end $$; create foreign data wrapper w validator v;', upMatches: [/^alter foreign data wrapper w validator public\.v;$/] },
  { kind: 'foreign-data wrapper', change: 'create (handler and validator from an extension, with it)', current: '',
    desired: 'create extension postgres_fdw; create foreign data wrapper w handler postgres_fdw_handler validator postgres_fdw_validator;' },
  { kind: 'foreign-data wrapper', change: 'alter handler', current: 'create extension postgres_fdw; create foreign data wrapper w;',
    desired: 'create extension postgres_fdw; create foreign data wrapper w handler postgres_fdw_handler;', upMatches: [/^alter foreign data wrapper w handler public\.postgres_fdw_handler;$/] },
  { kind: 'server', change: 'create', current: W, desired: `${W} create server s type 'pg' version '1.0' foreign data wrapper w options (host 'localhost', port '5432');` },
  { kind: 'server', change: 'create (on an extension\'s wrapper, with the extension)', current: '', desired: "create extension postgres_fdw; create server s foreign data wrapper postgres_fdw options (host 'localhost');" },
  { kind: 'server', change: 'drop (its user mappings and foreign tables first)', current: `${S} create user mapping for public server s; create foreign table ft (id integer) server s;`, desired: W },
  { kind: 'server', change: 'alter options', current: `${W} create server s foreign data wrapper w options (host 'a', port '1');`, desired: `${W} create server s foreign data wrapper w options (host 'b', dbname 'd');` },
  { kind: 'server', change: 'alter version', current: `${W} create server s version '1.0' foreign data wrapper w;`, desired: `${W} create server s version '2.0' foreign data wrapper w;`, upMatches: [/^alter server s version '2\.0';$/] },
  { kind: 'server', change: 'alter version (taken off)', current: `${W} create server s version '1.0' foreign data wrapper w;`, desired: S, upMatches: [/^alter server s version null;$/] },
  { kind: 'server', change: 'alter wrapper (made again, with its user mappings and foreign tables)', current: `${W} create foreign data wrapper w2; create server s foreign data wrapper w; create user mapping for current_user server s; create foreign table ft (id integer) server s;`,
    desired: `${W} create foreign data wrapper w2; create server s foreign data wrapper w2; create user mapping for current_user server s; create foreign table ft (id integer) server s;` },
  { kind: 'user mapping', change: 'create', current: S, desired: `${S} create user mapping for public server s options ("user" 'remote'); create user mapping for current_user server s;` },
  { kind: 'user mapping', change: 'drop', current: `${S} create user mapping for public server s options ("user" 'remote');`, desired: S },
  { kind: 'user mapping', change: 'alter options', current: `${S} create user mapping for public server s options ("user" 'a', sslmode 'require');`, desired: `${S} create user mapping for public server s options ("user" 'b');` },
  { kind: 'user mapping', change: 'create with a password: refused', current: S, desired: `${S} create user mapping for public server s options ("user" 'u', password 'hunter2');`, refused: /option password holds a secret, which strata never writes into a file/ },
  { kind: 'user mapping', change: 'alter password: refused', current: `${S} create user mapping for public server s options (password 'old');`, desired: `${S} create user mapping for public server s options (password 'new');`, refused: /value of its option password changes/ },
  { kind: 'user mapping', change: 'drop with a password: refused (down.sql could not make it again)', current: `${S} create user mapping for public server s options (password 'old');`, desired: S, refused: /no down\.sql could make it again/ },
  { kind: 'server', change: 'alter wrapper with a secret option: refused', current: `${W} create foreign data wrapper w2; create server s foreign data wrapper w options (api_key 'k');`,
    desired: `${W} create foreign data wrapper w2; create server s foreign data wrapper w2 options (api_key 'k');`, refused: /would be dropped and created again, and its option api_key holds a secret/ },
  { kind: 'foreign table', change: 'create', current: S,
    desired: `${S} create schema remote; create foreign table remote.items (id integer not null, note text options (column_name 'remark') collate "C" default 'x', twice integer generated always as (id * 2) stored) server s options (schema_name 'public', table_name 'items');
      comment on foreign table remote.items is 'remote rows'; comment on column remote.items.note is 'free text'; comment on server s is 'the server'; comment on foreign data wrapper w is 'the wrapper';` },
  { kind: 'foreign table', change: 'drop', current: FT, desired: S },
  { kind: 'foreign table', change: 'alter options', current: `${S} create foreign table ft (id integer) server s options (schema_name 'public', table_name 'a');`, desired: `${S} create foreign table ft (id integer) server s options (schema_name 'public', table_name 'b', updatable 'false');` },
  { kind: 'foreign table', change: 'alter server (made again)', current: `${S} create server s2 foreign data wrapper w; create foreign table ft (id integer) server s; create view v as select id from ft;`,
    desired: `${S} create server s2 foreign data wrapper w; create foreign table ft (id integer) server s2; create view v as select id from ft;` },
  { kind: 'foreign table', change: 'alter check constraint (added)', current: FT, desired: `${FT} alter foreign table ft add constraint ft_qty_check check (qty > 0);` },
  { kind: 'column (of a foreign table)', change: 'create, drop, alter type, default, not null', current: FT,
    desired: `${S} create foreign table ft (id bigint, qty integer, note text, new_col integer default 0 not null) server s;` },
  { kind: 'column (of a foreign table)', change: 'alter options', current: `${S} create foreign table ft (id integer options (column_name 'a', x 'y')) server s;`, desired: `${S} create foreign table ft (id integer options (column_name 'b')) server s;` },
  { kind: 'column (of a foreign table)', change: 'alter type (a view over it made again)', current: `${S} create foreign table ft (id integer, note varchar(10)) server s; create view v as select note from ft;`,
    desired: `${S} create foreign table ft (id integer, note text) server s; create view v as select note from ft;` },
  { kind: 'privileges', change: 'create, drop (on a wrapper, a server, a foreign table and its column)', privileges: true, current: `${FT} grant usage on foreign server s to public;`,
    desired: `${FT} grant usage on foreign data wrapper w to public; grant select on ft to public; grant update (note) on ft to public;` },
];
