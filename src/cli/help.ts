import type { CAC, Command } from 'cac';

/**
 * `strata help <command>` and `strata <command> --help`: what the command does, its flags, what
 * its target can be, and two examples. Written here rather than by cac, whose command help leaves
 * out the command's own description.
 */

type TargetKind = 'head' | '+N' | '-N' | 'base' | 'id' | 'tag';

const TARGET_LINES: Record<TargetKind, [string, string]> = {
  head: ['head', 'the newest revision on disk'],
  '+N': ['+N', 'N revisions after the current one (+1: the next pending revision)'],
  '-N': ['-N', 'N revisions before the current one (-1: the one before the newest applied)'],
  base: ['base', 'before the first revision: nothing applied'],
  id: ['<id>', 'a revision id, or a prefix of it that only one id starts with (20261104, 20261104090000_create_orders)'],
  tag: ['<tag>', 'a release name from a --! Tags header (v1.4)'],
};

export interface TargetHelp {
  /** as in the usage line, e.g. 'target' or 'rev' */
  argument: string;
  default?: string;
  kinds: TargetKind[];
  /** what the command does with the target */
  note: string;
}

export interface CommandHelp {
  /** what the command does, in a few lines */
  details: string[];
  target?: TargetHelp;
  /** two examples: the command line and what it does */
  examples: [[string, string], [string, string]];
}

const helps = new WeakMap<Command, CommandHelp>();

/** Attaches the help text of a command where the command is defined. */
export function withHelp(command: Command, help: CommandHelp): Command {
  helps.set(command, help);
  return command;
}

export function formatCommandHelp(command: Command, cli: CAC): string {
  const help = helps.get(command);
  const sections = [help ? help.details.join('\n') : command.description, `Usage:\n  $ strata ${command.rawName} [options]`];
  if (help?.target) {
    const t = help.target;
    const lines = t.kinds.map((kind) => TARGET_LINES[kind]);
    sections.push(`${t.argument === 'target' ? 'Target' : `Target (<${t.argument}>)`}${t.default ? ` (default: ${t.default})` : ''}:\n${table(lines)}\n  ${t.note}`);
  }
  const own = command.options.filter((o) => o.name !== 'version');
  if (own.length > 0) sections.push(`Options:\n${optionTable(own)}`);
  sections.push(`Global options:\n${optionTable(cli.globalCommand.options.filter((o) => o.name !== 'version'))}`);
  if (help) sections.push(`Examples:\n${table(help.examples, '# ')}`);
  return `${sections.join('\n\n')}\n`;
}

export function formatGlobalHelp(cli: CAC, version: string): string {
  const commands = cli.commands.map((c): [string, string] => [c.rawName, c.description]);
  return [
    `strata ${version}: SQL-first migrations for PostgreSQL`,
    'Usage:\n  $ strata <command> [options]',
    `Commands:\n${table(commands)}`,
    `Global options:\n${optionTable(cli.globalCommand.options)}`,
    `Examples:\n${table([['strata new "add orders"', 'create the next revision folder'], ['strata up', 'apply every pending revision']], '# ')}`,
    'Run strata help <command> (or strata <command> --help) for what it does, its options and targets, and examples.\n'
    + 'Exit codes: 0 done; 1 a revision failed while running, the database or lock could not be had, or heads\n'
    + 'found a fork; 2 bad input (files, headers, chain, checksums, arguments), found before anything ran; 130 stopped.',
  ].join('\n\n') + '\n';
}

function optionTable(options: Command['options']): string {
  return table(options.map((o) => [o.rawName, `${o.description}${o.config.default === undefined ? '' : ` (default: ${String(o.config.default)})`}`]));
}

function table(rows: ReadonlyArray<readonly [string, string]>, marker = ''): string {
  const width = Math.max(...rows.map(([left]) => left.length));
  return rows.map(([left, right]) => `  ${left.padEnd(width)}  ${marker}${right}`).join('\n');
}
