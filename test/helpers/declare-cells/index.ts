import type { Cell } from '../declare-proof.js';
import { CELLS as CONSTRAINTS } from './constraints.js';
import { CELLS as FOREIGN_DATA } from './foreign-data.js';
import { CELLS as OTHERS } from './others.js';
import { CELLS as PUBLICATIONS } from './publications.js';
import { CELLS as ROUTINES } from './routines.js';
import { CELLS as SUBSCRIPTIONS } from './subscriptions.js';
import { CELLS as TABLES } from './tables.js';
import { CELLS as TYPES } from './types.js';

/** Every cell of the generator's kind x change table, each proven by one of test/e2e/declare-*.test.ts. */
export const ALL_CELLS: readonly Cell[] = [...TABLES, ...TYPES, ...CONSTRAINTS, ...ROUTINES, ...FOREIGN_DATA, ...PUBLICATIONS, ...SUBSCRIPTIONS, ...OTHERS];

/** The kind a cell is about, as the snapshot names it: 'type (enum)' -> 'type', 'cast (not modelled)' -> 'cast' */
export const kindOf = (cell: Cell) => cell.kind.replace(/ \(.*\)$/, '');

/** The table for the README: one row per kind, the changes proven, and those refused (by name) */
export function coverageTable(cells: readonly Cell[] = ALL_CELLS): string {
  const rows = new Map<string, { proven: string[]; refused: string[] }>();
  for (const cell of cells) {
    const row = rows.get(cell.kind) ?? rows.set(cell.kind, { proven: [], refused: [] }).get(cell.kind)!;
    (cell.refused ? row.refused : row.proven).push(cell.change.replace(' (refused)', '').replace(': refused', '').replace('refused, ', ''));
  }
  return ['| object kind | proven up and down | refused by name |', '|---|---|---|',
    ...[...rows].map(([kind, row]) => `| ${kind} | ${row.proven.join('; ') || '-'} | ${row.refused.join('; ') || '-'} |`)].join('\n');
}
