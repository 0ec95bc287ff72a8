import type { Cell } from '../declare-proof.js';

/**
 * Cells of publications: created, dropped, their tables (column lists, row filters), schemas and
 * options changed in place, FOR ALL TABLES made again, commented; and the tables and columns they
 * list dropped or retyped under them.
 */
const T = 'create schema app; create table app.orders (id int primary key, status text, total int); create table app.items (id int primary key, sku text);';

export const CELLS: Cell[] = [
  { kind: 'publication', change: 'create', current: T,
    desired: `${T} create publication feed for table app.orders (id, total) where (status = 'paid'), app.items with (publish = 'insert, update');` },
  { kind: 'publication', change: 'create (for all tables, tables in schema)', current: T,
    desired: `${T} create schema more; create table more.t (id int); create publication everything for all tables; create publication by_schema for tables in schema app, more;` },
  { kind: 'publication', change: 'drop', current: `${T} create publication feed for table app.orders; create publication everything for all tables;`, desired: T },
  { kind: 'publication', change: 'alter tables (added, dropped, column list and row filter changed)',
    current: `${T} create table app.notes (id int); create publication feed for table app.orders (id, total) where (status = 'paid'), app.notes;`,
    desired: `${T} create table app.notes (id int); create publication feed for table app.orders (id, status, total) where (total > 0), app.items;`,
    upMatches: [/^alter publication feed drop table only app\.notes;$/, /^alter publication feed add table only app\.orders \(id, status, total\) where \(\(total > 0\)\);$/] },
  { kind: 'publication', change: 'alter schemas', current: `${T} create schema more; create publication by_schema for tables in schema app;`,
    desired: `${T} create schema more; create publication by_schema for tables in schema more;`, upMatches: [/^alter publication by_schema add tables in schema more;$/] },
  { kind: 'publication', change: 'alter options', current: `${T} create publication feed for table app.orders;`,
    desired: `${T} create publication feed for table app.orders with (publish = 'insert, delete', publish_via_partition_root = true);`,
    upMatches: [/^alter publication feed set \(publish = 'insert, delete', publish_via_partition_root = true\);$/] },
  { kind: 'publication', change: 'alter for all tables to a list (made again)', current: `${T} create publication feed for all tables;`,
    desired: `${T} create publication feed for table app.orders;`, upMatches: [/^drop publication feed;$/] },
  { kind: 'publication', change: 'comment', current: `${T} create publication feed for table app.orders;`,
    desired: `${T} create publication feed for table app.orders; comment on publication feed is 'paid orders';` },
  { kind: 'publication', change: 'alter (a table it lists dropped: taken out first)', current: `${T} create publication feed for table app.orders, app.items;`,
    desired: 'create schema app; create table app.orders (id int primary key, status text, total int); create publication feed for table app.orders;',
    seed: "insert into app.orders values (1, 'paid', 10);", keeps: 'select * from app.orders' },
  { kind: 'publication', change: 'alter (a column of its column list dropped: the list changed first)', current: `${T} create publication feed for table app.orders (id, total);`,
    desired: 'create schema app; create table app.orders (id int primary key, status text); create table app.items (id int primary key, sku text); create publication feed for table app.orders (id);',
    seed: "insert into app.orders values (1, 'paid', 10);", keeps: 'select id, status from app.orders' },
  { kind: 'publication', change: 'alter (a column its row filter reads changes type: the table taken out and back)', current: `${T} create publication feed for table app.orders where (total > 0), app.items;`,
    desired: 'create schema app; create table app.orders (id int primary key, status text, total bigint); create table app.items (id int primary key, sku text); create publication feed for table app.orders where (total > 0), app.items;',
    seed: "insert into app.orders values (1, 'paid', 10);", keeps: 'select id, status, total::int from app.orders', upMatches: [/^alter publication feed drop table only app\.orders;$/] },
  { kind: 'publication', change: 'alter (a column of its column list changes type, the list changes too)', current: `${T} create publication feed for table app.orders (id, total);`,
    desired: 'create schema app; create table app.orders (id int primary key, status text, total bigint); create table app.items (id int primary key, sku text); create publication feed for table app.orders (id, status, total);' },
  { kind: 'publication', change: 'alter (the schema and the table it lists renamed: follows them)', current: `${T} create publication by_schema for tables in schema app; create publication feed for table app.orders (id, total);`,
    desired: `${T.replace(/app\./g, 'core.').replace('schema app', 'schema core').replace('orders', 'purchases')} create publication by_schema for tables in schema core; create publication feed for table core.purchases (id, total);`,
    renames: [{ kind: 'schema', from: 'schema app', to: 'schema core' }, { kind: 'table', from: 'table app.orders', to: 'table app.purchases' }] },
];
