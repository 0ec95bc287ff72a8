import { readFileSync } from 'node:fs';
import { cac } from 'cac';
import { StrataError } from './index.js';
import { describeCacError, spellBooleanFlags, unknownCommand, unknownFlag } from './cli/arguments.js';
import { formatCommandHelp, formatGlobalHelp, withHelp } from './cli/help.js';
import { formatStartProblems, toJson } from './cli/output.js';
import { registerReadCommands } from './cli/read-commands.js';
import { EXIT, err, printUsageError, stopProgress } from './cli/session.js';
import { registerWriteCommands } from './cli/write-commands.js';
import { registerProofCommands } from './cli/proof-commands.js';
import { registerDeclareCommands } from './cli/declare-commands.js';
import { registerReleaseCommands } from './cli/release-commands.js';
import { registerLintCommands } from './cli/lint-commands.js';
import { redactOutput } from './cli/redact-output.js';
import { configuredUrls } from './config.js';

const version = readVersion();
const cli = cac('strata');
cli
  .option('--database-url <url>', 'PostgreSQL URL (default: DATABASE_URL, else the embedded PGlite database in .strata/)')
  .option('--dir <path>', 'migrations folder (default: STRATA_DIR, else migrations)')
  .option('--schema <name>', 'tracking schema (default: STRATA_SCHEMA, else strata)')
  .option('--lock-timeout <seconds>', 'how long to wait for another runner (default: STRATA_LOCK_TIMEOUT, else 60)')
  .option('--json', 'print the report as JSON')
  .option('--quiet', 'print only errors')
  .option('-h, --help', 'show what a command does, its options, targets and examples');
registerWriteCommands(cli);
registerReadCommands(cli);
registerProofCommands(cli);
registerDeclareCommands(cli);
registerReleaseCommands(cli);
registerLintCommands(cli);
withHelp(cli.command('help [command]', 'what a command does, its options, targets and examples'), {
  details: ['Show what a command does, its options and targets, and two examples; without a command, the list of commands.'],
  examples: [['strata help up', 'the same as strata up --help'], ['strata help', 'the same as strata --help']],
}).action((name: string | undefined) => printHelp(name === undefined ? undefined : String(name)));
cli.version(version);
cli.globalCommand.options.find((o) => o.name === 'version')!.description = 'print the version';

/** Prints the help of `name` (all commands when undefined); an unknown name is a usage error. */
function printHelp(name: string | undefined): number {
  if (name === undefined) {
    process.stdout.write(formatGlobalHelp(cli, version));
    return EXIT.ok;
  }
  const command = cli.commands.find((c) => c.isMatched(name));
  if (!command) {
    const mistake = unknownCommand(name, cli);
    return printUsageError(mistake.message, mistake.hint, cli.options.json === true);
  }
  process.stdout.write(formatCommandHelp(command, cli));
  return EXIT.ok;
}

/** an empty argument while mri parses: a NUL, which no shell can pass, and which is not a number */
const EMPTY_ARGUMENT = '\u0000';

async function main(argv: string[]): Promise<number> {
  redactOutput([...flagValues(argv, '--database-url'), ...flagValues(argv, '--shadow-database-url'), ...configuredUrls()]);
  try {
    // mri reads a target such as `-3` as a flag: hide it behind a space while parsing, then restore it;
    // and it reads an empty value (--schema "$UNSET") as the number 0, which would be the text '0'
    const hidden = argv.map((arg, i) => (i > 1 && /^-\d+$/.test(arg) ? ` ${arg}` : i > 1 && arg === '' ? EMPTY_ARGUMENT : arg));
    // parsed once to find the command, then again with its boolean flags spelled as mri knows them
    cli.parse(hidden, { run: false });
    cli.parse(spellBooleanFlags(hidden, cli.matchedCommand, cli), { run: false });
    cli.args = cli.args.map((arg) => (/^ -\d+$/.test(arg) ? arg.slice(1) : arg === EMPTY_ARGUMENT ? '' : arg));
    for (const [key, value] of Object.entries(cli.options)) if (value === EMPTY_ARGUMENT) cli.options[key] = '';
    const isJson = cli.options.json === true;
    if (cli.options.version && !cli.matchedCommand) return EXIT.ok;
    const command = cli.matchedCommand;
    const name = cli.args[0];
    if (!command && name !== undefined) {
      // no compiled-code cache for a typo (cli/start.ts names its file after the first word)
      (globalThis as { strataUnknownCommand?: boolean }).strataUnknownCommand = true;
      const mistake = unknownCommand(String(name), cli);
      return printUsageError(mistake.message, mistake.hint, isJson);
    }
    if (cli.options.help) return printHelp(command?.name);
    const flagMistake = unknownFlag(argv.slice(2), command, cli);
    if (flagMistake) return printUsageError(flagMistake.message, flagMistake.hint, isJson);
    if (!command) return printHelp(undefined);
    const code = (await cli.runMatchedCommand()) as number | undefined;
    return code ?? EXIT.ok;
  } catch (error) {
    stopProgress();
    if (error instanceof StrataError) {
      // createStrata's one throw: options or environment it cannot use (commands report everything else)
      if (cli.options.json) console.log(toJson({ ok: false, reason: 'invalid', problems: error.problems }));
      else console.error(formatStartProblems(error.problems, err));
      return EXIT.invalid;
    }
    if (error instanceof Error && error.name === 'CACError') {
      const where = cli.matchedCommand ? `strata ${cli.matchedCommand.name} --help` : 'strata --help';
      return printUsageError(describeCacError(error.message, cli.matchedCommand, cli.args), `see ${where}`, cli.options.json === true);
    }
    const message = error instanceof Error ? error.stack ?? error.message : String(error);
    if (cli.options.json) console.log(toJson({ ok: false, reason: 'internal', message }));
    else console.error(message);
    return EXIT.failed;
  }
}

/** Every value given to `flag` (`--flag value` or `--flag=value`), read before cac parses anything. */
function flagValues(argv: readonly string[], flag: string): string[] {
  return argv.flatMap((arg, i) => (arg === flag && argv[i + 1] !== undefined ? [argv[i + 1]!] : arg.startsWith(`${flag}=`) ? [arg.slice(flag.length + 1)] : []));
}

function readVersion(): string {
  try {
    return (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

void main(process.argv).then((code) => { process.exitCode = code; });
