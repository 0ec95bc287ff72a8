import type { CAC } from 'cac';
import type { RebaseReport, SquashReport, TagsReport } from '../index.js';
import { withHelp } from './help.js';
import { finishWritten, untilSignal } from './declare-commands.js';
import { formatProblems, toJson, type Style } from './output.js';
import { SHADOW_OPTION } from './proof-commands.js';
import { EXIT, err, finishReport, out, strataFor, usageProblem, type GlobalFlags } from './session.js';

/** The release commands: squash, tag, tags, rebase. */
export function registerReleaseCommands(cli: CAC): void {
  withHelp(cli.command('squash [range]', 'replace a range of revisions with one, proven to do the same (before a release)')
    .option('-m, --message <message>', 'the squashed revision\'s message')
    .option('--tag <name>', 'the range since the previous tag, up to this tag\'s revision (or up to the head, which it then tags)')
    .option('--transaction-off', 'when the range has a Transaction: off revision, write the squashed one Transaction: off (else refused)')
    .option('--delete-replaced', 'delete the replaced folders too (only once every database is past the range, or at its start; refused when the configured one is partway)')
    .option(...SHADOW_OPTION), {
    details: [
      'Write one revision whose up.sql runs the range\'s up.sql bodies in order and whose down.sql runs their',
      'down.sql bodies in reverse, with --! Replaces: naming them and the range\'s tags moved to it. First, on',
      'shadow databases, its up.sql must reach exactly the schema the range reaches and its down.sql exactly the',
      'schema before it; nothing is written otherwise. A database that applied the whole range counts it as',
      'applied (recorded on its next run); one partway through finishes the range while its folders are here,',
      'so they are kept unless --delete-replaced. The range is <from>..<to>: ids, prefixes or tags.',
    ],
    examples: [['strata squash 20261102..20261106 -m "release 1.4"', 'five revisions become one'], ['strata squash --tag v1.4', 'everything since the previous tag, tagged v1.4']],
  }).action(async (range: string | undefined, flags: GlobalFlags & { message?: string | number; tag?: string | number; transactionOff?: boolean; deleteReplaced?: boolean; shadowDatabaseUrl?: string }) => {
    const report = await untilSignal((signal) => strataFor(flags).squash({
      range: range === undefined ? undefined : String(range), tag: flags.tag === undefined ? undefined : String(flags.tag),
      message: flags.message === undefined ? undefined : String(flags.message), transactionOff: flags.transactionOff ?? false, deleteReplaced: flags.deleteReplaced ?? false, signal,
    }));
    if (flags.json) console.log(toJson(report));
    else if (report.ok && !flags.quiet) process.stdout.write(formatSquash(report, out));
    return finishWritten(report, flags);
  });

  withHelp(cli.command('tag [name] [revision]', 'write a tag into a revision\'s header (default: the head); --delete takes it out')
    .option('--delete', 'take the tag out of the revision that has it'), {
    details: [
      'Write <name> into the --! Tags: line of the revision\'s up.sql (the head when no revision is given). A tag',
      'names one revision and is a target (strata up v1.4, strata down v1.3). Only the header changes, so an',
      'applied revision stays applied. With --delete, the tag is taken out of the revision that has it.',
    ],
    examples: [['strata tag v1.4', 'tag the head'], ['strata tag --delete v1.4', 'take the tag out again']],
  }).action((name: string | undefined, revision: string | undefined, flags: GlobalFlags & { delete?: boolean }) => {
    if (name === undefined) return finishReport(usageProblem('which tag? strata tag <name> [revision]', 'e.g. strata tag v1.4 (the head), strata tag v1.3 20261104, strata tag --delete v1.4'), flags, () => '');
    const strata = strataFor(flags);
    if (flags.delete && revision !== undefined) return finishReport(usageProblem('--delete takes the tag only', `strata tag --delete ${name}`), flags, () => '');
    const report = flags.delete ? strata.deleteTag(String(name)) : strata.tag(String(name), revision === undefined ? undefined : String(revision));
    return finishReport(report, flags, () => (report.ok ? `${report.result === 'deleted' ? `deleted tag ${report.tag} from` : report.result === 'added' ? `tagged ${report.tag}:` : `${report.tag} is already on`} ${report.revision} (${report.file})\n` : ''));
  });

  withHelp(cli.command('tags', 'every tag, its revision, and whether the database applied it'), {
    details: ['List the tags of the chain, oldest first, with the revision each names and whether the database applied it.'],
    examples: [['strata tags', 'the releases and where the database is'], ['strata tags --json', 'the same as JSON']],
  }).action(async (flags: GlobalFlags) => {
    const report = await strataFor({ ...flags, quiet: flags.quiet || flags.json }).tags();
    const exit = finishReport(report, flags, () => formatTags(report as Extract<TagsReport, { ok: true }>, out), { isData: true });
    // the list is what the files say; a problem with them (a tag on two revisions) is said, as status says it
    if (!report.ok || report.problems.length === 0) return exit;
    if (!flags.json) console.error(formatProblems(report.problems, err, 'fix them before running up or down.'));
    return EXIT.invalid;
  });

  withHelp(cli.command('rebase', 'after a merge fork: put the revisions this database has not applied after the others')
    .option('--from <base>', 'decide from the files alone, as if no database applied anything (only base)'), {
    details: [
      'When two branches each added revisions after the same parent, move the branch the database has not',
      'applied after the one it has (after the first branch, by id, when it applied neither): each moved revision',
      'gets the end of the chain as its Parent, and its folder a later timestamp where the order needs it. A',
      'revision the database applied is never moved. Prints what moved; run strata dump after, for schema.sql.',
    ],
    examples: [['strata rebase', 'join the branches, keeping what this database applied in place'], ['strata rebase --from base', 'the same from the files alone']],
  }).action(async (flags: GlobalFlags & { from?: string | number }) => {
    if (flags.from !== undefined && String(flags.from) !== 'base') return finishReport(usageProblem(`--from takes base, got '${flags.from}'`, 'strata rebase --from base'), flags, () => '');
    const report = await strataFor(flags).rebase({ fromBase: flags.from !== undefined });
    return finishReport(report, flags, () => formatRebase(report as Extract<RebaseReport, { ok: true }>, out));
  });
}

function formatSquash(report: Extract<SquashReport, { ok: true }>, style: Style): string {
  const n = report.replaced.length;
  const lines = [
    `${style.green('squashed')} ${n} revisions (${report.replaced[0]} … ${report.replaced.at(-1)}) into ${report.id} (parent ${report.parent})`,
    `  ${report.files.up}`, `  ${report.files.down}`,
    `${style.green('proven')} on the shadow: its up.sql gives the schema the ${n} revisions give${report.downProven ? ', its down.sql the schema before them' : ' (down.sql is Irreversible, as one of theirs is)'}`,
  ];
  if (report.tags.length > 0) lines.push(`tags moved to it: ${report.tags.join(', ')}`);
  for (const file of report.edited) lines.push(`edited the header of ${file}`);
  lines.push(report.keptReplaced
    ? `kept the ${n} replaced folders for databases partway through the range: delete them once every database is past ${report.replaced.at(-1)} (strata status on each)`
    : `deleted the ${n} replaced folders`);
  return `${lines.join('\n')}\n`;
}

function formatTags(report: Extract<TagsReport, { ok: true }>, style: Style): string {
  if (report.tags.length === 0) return 'no tags yet: strata tag <name> tags the head\n';
  const width = Math.max(...report.tags.map((t) => t.tag.length));
  const idWidth = Math.max(...report.tags.map((t) => t.revision.length));
  return `${report.tags.map((t) => `${t.tag.padEnd(width)}  ${t.revision.padEnd(idWidth)}  ${t.state === 'applied' ? style.green('applied') : style.yellow('pending')}  ${t.message ?? ''}`.trimEnd()).join('\n')}\n`;
}

function formatRebase(report: Extract<RebaseReport, { ok: true }>, style: Style): string {
  if (report.moves.length === 0) return 'nothing to rebase: the history is one chain\n';
  const lines = report.moves.flatMap((move) => [
    `${style.green('moved')} ${move.branch.join(', ')} after ${move.onto}:`,
    ...move.edits.map((e) => (e.kind === 'rename' ? `  renamed ${e.from} to ${e.to}` : `  ${e.file}: --! Parent: ${e.parent}`)),
  ]);
  lines.push(`the history is one chain again, head ${report.head}: run strata dump to write schema.sql at it`);
  return `${lines.join('\n')}\n`;
}
