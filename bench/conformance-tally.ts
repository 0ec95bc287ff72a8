/**
 * The pure half of the conformance runner (bench/conformance.ts): what a corpus folder says about
 * itself (its category, its meta.json), whether this cluster can run one of its states, and the
 * per-category tally with the pass rate. No I/O here, so the unit test can hold it to its word.
 */

/** What one state came to. `refused` is a pass: strata named what it cannot model instead of losing it. */
export type Outcome = 'equal' | 'refused' | 'wrong' | 'not loadable' | 'not run';

export const OUTCOMES: readonly Outcome[] = ['equal', 'refused', 'wrong', 'not loadable', 'not run'];

export interface StateResult {
  /** the corpus folder, e.g. `table-ops--add-column` */
  folder: string;
  category: string;
  /** which file: a.sql or b.sql */
  side: 'a' | 'b';
  outcome: Outcome;
  /** one line: why (the kinds refused, the first error, the first difference, why not run) */
  detail: string;
  /** wrong only: the first differences, one per line */
  differences?: string[];
  /** wrong only: the start of the schema.sql strata wrote */
  dumpExcerpt?: string;
  ms: number;
}

/** The folder's name up to `--` (`constraint-ops--deferrable` is in `constraint-ops`); a folder without one is its own category. */
export function categoryOf(folder: string): string {
  const cut = folder.indexOf('--');
  return cut < 0 ? folder : folder.slice(0, cut);
}

export interface CaseMeta {
  /** creates roles or other cluster-wide objects: the corpus says it needs a cluster of its own */
  isolatedCluster: boolean;
  /** the lowest PostgreSQL major it runs on */
  minVersion: number | undefined;
}

/** meta.json's text (undefined when the folder has none); throws on what it cannot read, naming the field. */
export function readMeta(text: string | undefined): CaseMeta {
  if (text === undefined) return { isolatedCluster: false, minVersion: undefined };
  const value = JSON.parse(text) as unknown;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error('meta.json is not an object');
  const { isolatedCluster, minVersion } = value as Record<string, unknown>;
  if (isolatedCluster !== undefined && typeof isolatedCluster !== 'boolean') throw new Error('meta.json: isolatedCluster is not a boolean');
  if (minVersion !== undefined && !(typeof minVersion === 'number' && Number.isInteger(minVersion))) throw new Error('meta.json: minVersion is not an integer');
  return { isolatedCluster: isolatedCluster === true, minVersion: minVersion as number | undefined };
}

/** Why a state is not run on this cluster (a shared one, of major `serverMajor`), or undefined when it is. */
export function whyNotRun(meta: CaseMeta, serverMajor: number): string | undefined {
  if (meta.isolatedCluster) return 'needs its own cluster';
  if (meta.minVersion !== undefined && meta.minVersion > serverMajor) return `needs PG ${meta.minVersion}`;
  return undefined;
}

/**
 * The roles a state creates (`create role|user|group <name>`, also inside a DO block; never
 * `create user mapping`), as PostgreSQL names them: unquoted names folded to lower case.
 * Roles are cluster-wide, so the runner runs such states one at a time and drops these roles after.
 */
export function rolesCreatedBy(sql: string): string[] {
  const names = new Set<string>();
  for (const match of sql.matchAll(/\bcreate\s+(?:role|user|group)\s+(?!mapping\b)("(?:[^"]|"")+"|[a-z_][a-z0-9_$]*)/gi)) {
    const name = match[1]!;
    names.add(name.startsWith('"') ? name.slice(1, -1).replace(/""/g, '"') : name.toLowerCase());
  }
  return [...names].sort();
}

export type Counts = Record<Outcome, number>;

export interface TallyRow {
  category: string;
  counts: Counts;
}

/** One row per category (sorted by name), and the totals. */
export function tally(results: readonly StateResult[]): { rows: TallyRow[]; total: Counts } {
  return countByCategory(results, OUTCOMES);
}

/** Results counted by outcome, one row per category sorted by name, and the totals: for states and for transitions alike. */
function countByCategory<O extends string>(results: ReadonlyArray<{ category: string; outcome: O }>, outcomes: readonly O[]): { rows: Array<{ category: string; counts: Record<O, number> }>; total: Record<O, number> } {
  const empty = () => Object.fromEntries(outcomes.map((o) => [o, 0])) as Record<O, number>;
  const byCategory = new Map<string, Record<O, number>>();
  const total = empty();
  for (const result of results) {
    const counts = byCategory.get(result.category) ?? byCategory.set(result.category, empty()).get(result.category)!;
    counts[result.outcome]++;
    total[result.outcome]++;
  }
  const rows = [...byCategory].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([category, counts]) => ({ category, counts }));
  return { rows, total };
}

/** (equal + refused) / loadable, where loadable = the states that loaded and were judged; undefined when none were. */
export function passRate(counts: Counts): number | undefined {
  const loadable = counts.equal + counts.refused + counts.wrong;
  return loadable === 0 ? undefined : (counts.equal + counts.refused) / loadable;
}

export function formatRate(rate: number | undefined): string {
  return rate === undefined ? '-' : `${(rate * 100).toFixed(1)} %`;
}

/** The table the runner prints: a row per category, then the totals. */
export function formatTally(counts: { rows: TallyRow[]; total: Counts }): string {
  return formatCounts(counts, OUTCOMES, 'pass rate', passRate);
}

/** The table the runner prints: a row per category with a column per outcome and the rate, then the totals. */
function formatCounts<O extends string>({ rows, total }: { rows: Array<{ category: string; counts: Record<O, number> }>; total: Record<O, number> }, outcomes: readonly O[], rateTitle: string, rate: (counts: Record<O, number>) => number | undefined): string {
  const header = ['category', ...outcomes, rateTitle];
  const line = (name: string, counts: Record<O, number>) => [name, ...outcomes.map((o) => String(counts[o])), formatRate(rate(counts))];
  const table = [header, ...rows.map((r) => line(r.category, r.counts)), line('total', total)];
  const widths = header.map((_, k) => Math.max(...table.map((cells) => cells[k]!.length)));
  const format = (cells: string[]) => cells.map((cell, k) => (k === 0 ? cell.padEnd(widths[k]!) : cell.padStart(widths[k]!))).join('  ').trimEnd();
  const rule = widths.map((w) => '-'.repeat(w)).join('  ');
  return [format(header), rule, ...table.slice(1, -1).map(format), rule, format(table.at(-1)!)].join('\n');
}

/** Like reasons counted, most first (15 at most): `title:` then `  <n>  <reason>` lines; '' when there are none. */
export function formatGroups(title: string, reasons: readonly string[]): string {
  if (reasons.length === 0) return '';
  const counts = new Map<string, number>();
  for (const reason of reasons) counts.set(reason, (counts.get(reason) ?? 0) + 1);
  const lines = [`\n${title}:`];
  for (const [reason, n] of [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, 15)) lines.push(`  ${String(n).padStart(4)}  ${reason.length > 150 ? `${reason.slice(0, 147)}...` : reason}`);
  if (counts.size > 15) lines.push(`  ... and ${counts.size - 15} more`);
  return lines.join('\n');
}

/** What one directional case came to: `proven` both ways, `refused` by name, or `wrong`. */
export type TransitionOutcome = 'proven' | 'refused' | 'wrong' | 'not loadable' | 'not run';

export const TRANSITION_OUTCOMES: readonly TransitionOutcome[] = ['proven', 'refused', 'wrong', 'not loadable', 'not run'];

export interface TransitionResult {
  folder: string;
  category: string;
  direction: 'a-to-b' | 'b-to-a';
  outcome: TransitionOutcome;
  detail: string;
  differences?: string[];
  up?: string;
  down?: string;
  ms: number;
}

export type TransitionCounts = Record<TransitionOutcome, number>;

export function tallyTransitions(results: readonly TransitionResult[]): { rows: Array<{ category: string; counts: TransitionCounts }>; total: TransitionCounts } {
  return countByCategory(results, TRANSITION_OUTCOMES);
}

/** proven / the cases that ran (proven + refused + wrong); undefined when none ran. */
export function provenRate(counts: TransitionCounts): number | undefined {
  const ran = counts.proven + counts.refused + counts.wrong;
  return ran === 0 ? undefined : counts.proven / ran;
}

export function formatTransitionTally(counts: ReturnType<typeof tallyTransitions>): string {
  return formatCounts(counts, TRANSITION_OUTCOMES, 'proven', provenRate);
}
