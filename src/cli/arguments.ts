import type { CAC, Command } from 'cac';
import { closest } from '../errors.js';

/**
 * Mistakes in the command line, reported in the words the user typed: cac knows options only
 * camel-cased (`--dryRun` for `--dry-run`) and suggests nothing.
 */

export interface UsageMistake {
  message: string;
  hint: string;
}

/** Words Alembic (and other tools) use for a strata command. */
const SYNONYMS: Record<string, string> = {
  upgrade: 'up', downgrade: 'down', migrate: 'up', rollback: 'down', revision: 'new', create: 'new', branches: 'heads', events: 'log',
};

export function unknownCommand(name: string, cli: CAC): UsageMistake {
  const names = cli.commands.map((c) => c.name);
  const suggestion = SYNONYMS[name.toLowerCase()] ?? closest(name, names);
  return {
    message: `unknown command '${name}'${suggestion ? `; did you mean '${suggestion}'?` : ''}`,
    hint: 'strata help lists the commands',
  };
}

/**
 * cac hands mri its boolean options camel-cased (`singleTransaction`), so a boolean flag typed
 * with a dash (`--single-transaction`) is not one to mri, and takes the next word as its value:
 * `strata up --single-transaction +1` read +1 as the flag's and applied everything, and
 * `strata new --from-schema "add notes"` lost its message. Each such flag of `command` (and the
 * global ones) is given to the parser in the spelling it knows, with its value (a word after a
 * boolean would be read as a number, `+1` as 1); before `--` only.
 */
export function spellBooleanFlags(args: readonly string[], command: Command | undefined, cli: CAC): string[] {
  const spelled = new Map<string, string>();
  for (const option of [...cli.globalCommand.options, ...(command?.options ?? [])]) {
    if (!option.isBoolean || option.negated) continue;
    for (const flag of flagsOf([option])) {
      if (/^--\w+(-\w+)+$/.test(flag)) spelled.set(flag, `--${flag.slice(2).replace(/-(\w)/g, (_, letter: string) => letter.toUpperCase())}=true`);
    }
  }
  const end = args.indexOf('--');
  return args.map((arg, i) => (end !== -1 && i > end ? arg : spelled.get(arg) ?? arg));
}

/** The flags as they are typed (`--dry-run`, `-h`), from cac's option definitions. */
function flagsOf(options: Command['options']): string[] {
  return options.flatMap((o) => o.rawName.split(',').map((part) => part.trim().split(/[\s<[]/)[0]!));
}

/**
 * The first flag in `args` (argv after the script) that neither `command` nor the global options
 * define, as typed. Arguments after `--` and negative numbers (targets such as `-3`) are not flags.
 */
export function unknownFlag(args: readonly string[], command: Command | undefined, cli: CAC): UsageMistake | undefined {
  const known = flagsOf([...(command?.options ?? []), ...cli.globalCommand.options]);
  const isKnown = (flag: string) => known.includes(flag) || (flag.startsWith('--no-') && known.includes(`--${flag.slice(5)}`));
  for (const arg of args) {
    if (arg === '--') break;
    if (!arg.startsWith('-') || arg === '-' || /^-\d+$/.test(arg)) continue;
    const typed = arg.startsWith('--') ? arg.split('=', 1)[0]! : arg;
    const isFine = arg.startsWith('--') ? isKnown(typed) : [...typed.slice(1)].every((letter) => isKnown(`-${letter}`));
    if (!isFine) return describeUnknownFlag(typed, command, cli, known);
  }
  return undefined;
}

function describeUnknownFlag(typed: string, command: Command | undefined, cli: CAC, known: string[]): UsageMistake {
  const where = command ? `strata ${command.name}` : 'strata';
  const help = `${where} --help lists its options`;
  if (typed === '--dry-run' && (command?.name === 'up' || command?.name === 'down')) {
    return {
      message: `unknown option '--dry-run' for ${where}`,
      hint: `${where} has no dry run: strata sql ${command.name} [target] prints the exact script it would run, without running anything`,
    };
  }
  const suggestion = closest(typed, known.filter((flag) => flag.startsWith('--')));
  if (suggestion) return { message: `unknown option '${typed}' for ${where}; did you mean '${suggestion}'?`, hint: help };
  const owners = cli.commands.filter((c) => c !== command && flagsOf(c.options).includes(typed)).map((c) => `strata ${c.name}`);
  return { message: `unknown option '${typed}' for ${where}`, hint: owners.length > 0 ? `${typed} is an option of ${owners.join(', ')}; ${help}` : help };
}

/** cac's own messages about arguments, in strata's words. */
export function describeCacError(message: string, command: Command | undefined, args: readonly unknown[]): string {
  const name = command ? `strata ${command.name}` : 'strata';
  if (message.startsWith('missing required args') && command) {
    const missing = command.args.filter((a) => a.required).slice(args.length).map((a) => `<${a.value}>`);
    return `${name} needs ${missing.join(' ')}`;
  }
  const unused = /^Unused args: (.*)$/.exec(message);
  if (unused) return `${name} got more arguments than it takes: ${unused[1]!.replace(/`/g, "'")}`;
  const noValue = /^option `([^`]*)` value is missing$/.exec(message);
  if (noValue) return `${noValue[1]!.replace(/^-\w, /, '').split(' ')[0]} needs a value (${noValue[1]})`;
  return message;
}
