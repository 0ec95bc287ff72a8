import type { CAC } from 'cac';
import type { Problem } from '../errors.js';
import type { DiffReport, GeneratedRevision, NewFromSchemaReport } from '../index.js';
import { formatLintCounts, formatLintFindings } from './lint-output.js';
import { withHelp } from './help.js';
import { formatNewRevision, formatProblems, formatRefusal, toJson, type Style } from './output.js';
import { PRIVILEGES_OPTION, SHADOW_OPTION } from './proof-commands.js';
import { EXIT, err, out, stoppable, strataFor, type GlobalFlags } from './session.js';

/** The declarative commands: strata diff, and strata new --from-schema (whose flags `new` declares). */

export type DeclareFlags = GlobalFlags & { rename?: string | number | Array<string | number>; destructive?: boolean };

export const RENAME_OPTION = ['--rename <old=new>', 'a rename schema.sql cannot say: <table>.<old column>=<new>, <schema>.<table>.<old>=<new>, <old table>=<new>, <enum type>.<old label>=<new> (repeat for more)'] as const;

export function registerDeclareCommands(cli: CAC): void {
  withHelp(cli.command('diff', 'print the SQL of a revision that takes the migrations to schema.sql (nothing is written)')
    .option('--down', 'print the down.sql instead of the up.sql')
    .option(...RENAME_OPTION)
    .option(...SHADOW_OPTION)
    .option(...PRIVILEGES_OPTION), {
    details: [
      'Load schema.sql into a shadow database and read its schema; apply every revision to another and read',
      'that; print the up.sql (or with --down the down.sql) of the revision that takes the second to the first,',
      'as strata new --from-schema would write it. Renames are never guessed: write -- strata:renamed-from <old>',
      'above the object or column in schema.sql, or give --rename. Nothing is written; --json lists the changes.',
    ],
    examples: [['strata diff', 'the up.sql that schema.sql\'s edits need'], ['strata diff --down --rename orders.note=remark', 'its down.sql, a column renamed']],
  }).action(async (flags: DeclareFlags & { down?: boolean }) => {
    const report = await untilSignal((signal) => strataFor(flags).diff({ renames: renamesOf(flags), signal }));
    if (flags.json) console.log(toJson(report));
    else if (report.ok) printDiff(report, flags);
    return finish(report, flags);
  });
}

/** strata new "<message>" --from-schema: called by `new` (write-commands.ts) when the flag is given. */
export async function newFromSchemaAction(message: string, flags: DeclareFlags): Promise<number> {
  const report = await untilSignal((signal) => strataFor(flags).newFromSchema(message, { renames: renamesOf(flags), destructive: flags.destructive !== false, signal }));
  if (flags.json) console.log(toJson(report));
  else if (report.ok && report.result === 'nothing to do') {
    if (!flags.quiet) console.log('nothing to do: schema.sql declares what the migrations make; nothing was written');
  } else if (report.ok) {
    printWarnings(report, 'up');
    if (!flags.quiet) process.stdout.write(formatCreated(report, out));
  }
  return finish(report, flags);
}

function renamesOf(flags: DeclareFlags): string[] {
  const given = flags.rename;
  return given === undefined ? [] : (Array.isArray(given) ? given : [given]).map(String);
}

function printDiff(report: Extract<DiffReport, { ok: true }>, flags: DeclareFlags & { down?: boolean }): void {
  const direction = flags.down ? 'down' : 'up';
  if (report.changes.length === 0) {
    if (!flags.quiet) console.error('nothing to do: schema.sql declares what the migrations make');
    return;
  }
  printWarnings(report, direction);
  if ((direction === 'down' ? report.downTransaction : report.transaction) === 'off' && !flags.quiet) console.error(err.yellow(`note: the revision would run outside a transaction (--! Transaction: off)`));
  process.stdout.write(direction === 'down' ? report.downSql : report.upSql);
}

function printWarnings(report: GeneratedRevision, direction: 'up' | 'down'): void {
  for (const d of report.destructive.filter((c) => c.direction === direction)) console.error(`${err.yellow('warning')}: destructive (${d.direction}.sql): ${d.reason}`);
  for (const s of report.renameSuggestions) console.error(`${err.yellow('note')}: ${s.from} dropped and ${s.to} added: ${s.hint} (or --rename)`);
}

function formatCreated(report: Extract<NewFromSchemaReport, { result: 'created' }>, style: Style): string {
  const { proof } = report;
  const lines = [formatNewRevision(report)];
  const name = (table: string) => table.slice('table '.length);
  const changedSeeds = proof.seeded.filter((s) => s.isChanged);
  const changed = changedSeeds.map((s) => name(s.table));
  const referenced = proof.seeded.filter((s) => !s.isChanged).map((s) => name(s.table));
  const rowCounts = new Set(changedSeeds.map((s) => s.rows));
  // the rows of a table are the seeded ones and those the migrations inserted: the count may differ from table to table
  const rows = rowCounts.size === 1 ? `${changedSeeds[0]!.rows} rows seeded in ${changed.join(', ')}` : `the rows seeded in ${changedSeeds.map((s) => `${name(s.table)} (${s.rows})`).join(', ')}`;
  const seeded = changed.length > 0 ? `${rows}${referenced.length > 0 ? ` (and ${referenced.join(', ')}, for its foreign keys)` : ''} were kept both ways`
    : proof.unseeded.length > 0 ? 'no rows could be seeded in the tables it changes (below)'
      : 'it changes no table that was there, so no rows were seeded';
  lines.push(`${style.green('proven')} on the shadow: up.sql gives schema.sql's schema, down.sql the migrations' again; ${seeded}`);
  for (const u of proof.unseeded) lines.push(style.yellow(`  not seeded: ${name(u.table)}: ${u.reason}; its data was not proven`));
  for (const [file, tables] of [['up.sql', proof.rewritten.up], ['down.sql', proof.rewritten.down]] as const) {
    if (tables.length > 0) lines.push(`  ${file} rewrites ${tables.map(name).join(', ')}, as it says`);
  }
  for (const [file, mode] of [['up.sql', report.transaction], ['down.sql', report.downTransaction]] as const) {
    if (mode === 'off') lines.push(`  ${file} is --! Transaction: off: it runs statement by statement, outside a transaction`);
  }
  lines.push(`wrote ${report.schemaFile} as strata dump writes it, at head ${report.id}`);
  const { findings, counts } = report.lint;
  const errors = findings.filter((f) => f.severity === 'error');
  if (errors.length > 0) {
    lines.push(...formatLintFindings(errors, style));
    lines.push(style.yellow(`warning: lint found ${formatLintCounts(counts, 'in the new revision')}; strata check fails until each error is rewritten by hand or accepted with --! Lint-allow: <rule> <why> (strata lint ${report.id} lists every finding)`));
  }
  return `${lines.join('\n')}\n`;
}

/** The exit of a command that proves on shadows before it writes (diff, new --from-schema, squash); nothing is written on any error. */
export function finishWritten(report: { ok: true } | { ok: false; reason: 'interrupted' } | { ok: false; reason: 'invalid' | 'unavailable' | 'failed' | 'refused'; problems: Problem[] }, flags: GlobalFlags): number {
  if (report.ok) return EXIT.ok;
  if (report.reason === 'interrupted') {
    if (!flags.json) console.error(err.yellow('stopped; the shadow databases were removed and nothing was written'));
    return EXIT.interrupted;
  }
  if (!flags.json) {
    if (report.reason === 'invalid' || report.reason === 'unavailable') console.error(formatRefusal({ reason: report.reason, problems: report.problems }, err));
    else console.error(formatProblems(report.problems, err, 'nothing was written.'));
  }
  return report.reason === 'invalid' ? EXIT.invalid : EXIT.failed;
}

const finish = (report: DiffReport | NewFromSchemaReport, flags: GlobalFlags) => finishWritten(report, flags);

/** Ctrl-C while shadows are in use: they are removed and nothing is written. */
export const untilSignal = <T>(run: (signal: AbortSignal) => Promise<T>): Promise<T> =>
  stoppable(run, 'stopping, then removing the shadow databases; nothing will be written (Ctrl-C again to stop now)');
