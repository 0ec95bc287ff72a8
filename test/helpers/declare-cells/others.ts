import type { Cell } from '../declare-proof.js';

/**
 * Cells of comments, privileges, default privileges, extensions and collations, and of kinds the
 * snapshot does not model (refused by name). READER is a role the test makes (roles are the
 * cluster's, so its name is the test run's own).
 */
const T = 'create table orders (id int primary key, note text);';

export const CELLS: Cell[] = [
  { kind: 'comment', change: 'create', current: T, desired: `${T} comment on table orders is 'the orders'; comment on column orders.note is 'free text';` },
  { kind: 'comment', change: 'drop', current: `${T} comment on table orders is 'the orders';`, desired: T },
  { kind: 'comment', change: 'alter text', current: `${T} comment on table orders is 'the orders';`, desired: `${T} comment on table orders is 'all the orders';` },
  { kind: 'comment', change: 'create (on objects of every kind)', current: T,
    desired: `${T} create schema app; comment on schema app is 's'; create type app.e as enum ('a'); comment on type app.e is 't'; create function app.f() returns int language sql as 'select 1'; comment on function app.f() is 'f';
      create index orders_note on orders (note); comment on index orders_note is 'i'; comment on constraint orders_pkey on orders is 'c'; create view app.v as select 1 as x; comment on view app.v is 'v'; create sequence app.s; comment on sequence app.s is 'q';` },
  { kind: 'comment', change: 'kept (on a view made again)', current: `${T} create view v as select id, note from orders; comment on view v is 'v';`, desired: `${T} create view v as select note, id from orders; comment on view v is 'v';` },
  { kind: 'privileges', change: 'create (grants)', privileges: true, current: T, desired: `${T} grant select, insert on orders to READER; grant update (note) on orders to READER;` },
  { kind: 'privileges', change: 'drop', privileges: true, current: `${T} grant select on orders to READER with grant option;`, desired: T },
  { kind: 'privileges', change: 'alter (grant option, other privileges)', privileges: true, current: `${T} grant select on orders to READER with grant option;`, desired: `${T} grant select, delete on orders to READER;` },
  { kind: 'privileges', change: 'alter (revoke a default)', privileges: true, current: 'create function f() returns int language sql as $$ select 1 $$;', desired: 'create function f() returns int language sql as $$ select 1 $$; revoke execute on function f() from public;' },
  { kind: 'privileges', change: 'create (on schema, sequence, type)', privileges: true, current: 'create schema app; create sequence app.s; create type app.e as enum (\'a\');',
    desired: 'create schema app; create sequence app.s; create type app.e as enum (\'a\'); grant usage on schema app to READER; grant usage on sequence app.s to READER; revoke usage on type app.e from public;' },
  { kind: 'default privileges', change: 'create', privileges: true, current: '', desired: 'alter default privileges for role READER grant select on tables to public;' },
  { kind: 'default privileges', change: 'alter', privileges: true, current: 'create schema app; alter default privileges for role READER in schema app grant select on tables to public;',
    desired: 'create schema app; alter default privileges for role READER in schema app grant select, insert on tables to public;' },
  { kind: 'privileges', change: 'create (on a table made under default privileges, one revoked)', privileges: true, current: 'alter default privileges grant select, insert on tables to READER;',
    desired: 'alter default privileges grant select, insert on tables to READER; create table t (a int); revoke insert on t from READER;' },
  { kind: 'default privileges', change: 'drop', privileges: true, current: 'alter default privileges for role READER revoke execute on functions from public;', desired: '' },
  { kind: 'extension', change: 'create', current: '', desired: 'create extension citext; create table u (e citext);' },
  { kind: 'extension', change: 'drop', current: 'create extension citext; create table u (e citext);', desired: '' },
  { kind: 'extension', change: 'alter schema', current: 'create schema ext; create extension citext;', desired: 'create schema ext; create extension citext schema ext;' },
  { kind: 'extension', change: 'alter schema (not relocatable: refused)', current: 'create schema a; create schema b; create extension xml2 schema a;', desired: 'create schema a; create schema b; create extension xml2 schema b;', refused: /not relocatable/ },
  { kind: 'collation', change: 'create', current: '', desired: "create collation nocase (provider = icu, locale = 'und-u-ks-level2', deterministic = false); create table u (name text collate nocase);" },
  { kind: 'collation', change: 'drop', current: "create collation nocase (provider = icu, locale = 'und-u-ks-level2', deterministic = false);", desired: '' },
  { kind: 'cast (not modelled)', change: 'create (refused)', current: 'create domain d as text;', desired: "create domain d as text; create function d_to_int(d) returns int language sql as 'select 1'; create cast (d as int) with function d_to_int(d);", refused: /does not model cast/ },
];
