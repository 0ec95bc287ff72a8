import type { CurrentReport, HeadsReport, HistoryReport, ShowReport } from '../index.js';
import { formatUtc } from '../text/utc-time.js';
import { formatProblems, type Style } from './output.js';

/** Text for the read-only commands: current, heads, show, history. */

function marks(entry: { isHead: boolean; isCurrent: boolean; isBranchPoint?: boolean }, style: Style): string {
  const words = [entry.isHead && 'head', entry.isBranchPoint && 'branchpoint', entry.isCurrent && 'current'].filter(Boolean);
  return words.map((w) => style.cyan(` (${w})`)).join('');
}

/** `<id> (head), <message>`: the newest applied revision, or `base` */
export function formatCurrent(report: CurrentReport, style: Style): string {
  if (report.current === null) return 'base (nothing applied)';
  const message = report.message ? `, ${report.message}` : '';
  return `${report.current}${marks({ isHead: report.current === report.head, isCurrent: false }, style)}${message}`;
}

export function formatHeads(report: Exclude<HeadsReport, { reason: 'invalid' }>, style: Style): string {
  if (report.ok) return report.head === null ? 'no revisions yet: base' : `${report.head}${style.cyan(' (head)')}${report.message ? `, ${report.message}` : ''}`;
  const lines = [style.red(`${report.heads.length} heads: revisions claim the same parent (${report.heads.length === 2 ? 'two' : report.heads.length} branches were merged)`)];
  for (const head of report.heads) {
    lines.push(`  ${head.id}${style.cyan(' (head)')}${head.message ? `, ${head.message}` : ''}`);
    lines.push(style.dim(`      its branch, from ${head.forkedFrom}: ${head.branch.join(' -> ')}`));
  }
  const others = report.moves.length === 1 ? 'the other branch' : 'each other branch in turn';
  lines.push(`to make the history one chain again, keep ${report.keep} and move ${others} after it:`);
  let step = 1;
  for (const move of report.moves) {
    for (const edit of move.edits) {
      lines.push(edit.kind === 'rename'
        ? `  ${step++}. rename ${edit.from} to ${edit.to} (revisions run in id order)`
        : `  ${step++}. set '--! Parent: ${edit.parent}' in ${edit.file}`);
    }
  }
  if (report.moves.some((m) => m.edits.some((e) => e.kind === 'rename'))) {
    lines.push(style.dim('  renaming gives a revision a new id: where a database applied it under the old one, revert it there first'));
  }
  lines.push(style.dim('strata rebase makes these edits (keeping in place what the database applied)'));
  return lines.join('\n');
}

export function formatShow(report: Extract<ShowReport, { ok: true }>, style: Style): string {
  const a = report.applied;
  const row = (key: string, value: string) => `  ${key.padEnd(13)} ${value}`;
  const lines = [`${style.bold(report.id)}${marks({ ...report, isBranchPoint: false }, style)}`];
  lines.push(row('parent', report.parent), row('message', report.message ?? '(none)'), row('tags', report.tags.length > 0 ? report.tags.join(', ') : '(none)'));
  const appliedText = a ? `${formatUtc(a.at)} by ${a.by}, took ${a.durationMs} ms` : '';
  const state = {
    applied: `applied ${appliedText}`,
    pending: 'pending (not applied)',
    edited: style.red(`edited: applied ${appliedText}, but its up.sql has changed since`),
    missing: style.red(`applied ${appliedText}; its folder is missing on disk`),
  }[report.state];
  // a replaced revision has no state of its own here: the squashed one stands for it
  const replaced = report.replacedBy;
  lines.push(row('state', replaced
    ? `replaced by ${replaced.id} (squashed), ${replaced.isApplied ? 'which is applied: its SQL has run here' : 'which is pending'}; this database follows that revision, not this one`
    : state));
  if (report.irreversible !== null) lines.push(row('irreversible', report.irreversible));
  const compared = (checksum: string, isMatching: boolean | null | undefined, recorded: string | undefined) => {
    if (isMatching === undefined || isMatching === null) return `checksum ${checksum}`;
    return isMatching ? `checksum ${checksum} ${style.green('(matches what was applied)')}` : `checksum ${checksum} ${style.red(`(applied: ${recorded})`)}`;
  };
  const mode = (isTransactional: boolean) => (isTransactional ? 'in a transaction' : 'Transaction: off, statement by statement');
  if (report.files) {
    const { up, down } = report.files;
    lines.push(row('up.sql', `${up.path} (${mode(up.transactional)})`), row('', compared(up.checksum, a?.isUpMatching, a?.upChecksum)));
    lines.push(row('down.sql', `${down.path} (${mode(down.transactional)})`), row('', compared(down.checksum, a?.isDownMatching, a?.downChecksum)));
    if (a?.isDownMatching === false && a.isUpMatching) lines.push(row('', style.dim('down.sql changed since it was applied: strata down runs the one on disk')));
  } else if (a) {
    lines.push(row('up.sql', `missing on disk; applied with checksum ${a.upChecksum}`));
    lines.push(row('down.sql', `missing on disk; the copy stored when it was applied (checksum ${a.downChecksum}, ${mode(a.isStoredDownTransactional)})`));
    lines.push(row('', `can still revert it: strata down ${report.parent}`));
  }
  return lines.join('\n');
}

/** The chain newest first: `state  parent -> id (head) (current), message [tags]`, as Alembic's history. */
export function formatChain(report: HistoryReport, style: Style): string {
  const paint: Record<string, (t: string) => string> = { applied: style.green, pending: style.yellow, edited: style.red, missing: style.red };
  const lines = report.revisions.map((r) => {
    const state = r.state === null ? '' : `${paint[r.state]!(r.state.padEnd(7))}  `;
    const parent = r.parent === 'base' ? '<base>' : r.parent;
    const tags = r.tags.length > 0 ? style.cyan(` [${r.tags.join(', ')}]`) : '';
    return `${state}${style.dim(`${parent} ->`)} ${r.id}${marks(r, style)}${r.message ? `, ${r.message}` : ''}${tags}`;
  });
  if (report.revisions.length === 0) lines.push('no revisions yet: create one with strata new "<message>"');
  if (report.problems.length > 0) lines.push('', formatProblems(report.problems, style, 'fix them before running up or down.'));
  return lines.join('\n');
}
