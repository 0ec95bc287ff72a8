import { problem, type Problem } from '../errors.js';
import type { Revision } from '../revision/revision.js';

/**
 * `--revisions <from>..<to>`: the revisions from `from` to `to`, both included, each an id or a
 * prefix that only one id starts with; an end left out is the first (or the last) revision, and a
 * single id is that revision alone. Indexes into `revisions`, or the problem with the argument.
 */
export function resolveRevisionRange(revisions: readonly Revision[], text: string | undefined):
  { ok: true; from: number; to: number } | { ok: false; problem: Problem } {
  if (text === undefined || text === '') return { ok: true, from: 0, to: revisions.length - 1 };
  const parts = text.includes('..') ? text.split('..') : [text, text];
  if (parts.length !== 2) return { ok: false, problem: rangeProblem(`'${text}' is not a range`) };
  const [from, to] = parts.map((part, k) => (part === '' ? (k === 0 ? 0 : revisions.length - 1) : indexOf(revisions, part)));
  for (const [k, index] of [from, to].entries()) {
    if (typeof index === 'string') return { ok: false, problem: rangeProblem(index) };
    if (index === undefined) return { ok: false, problem: rangeProblem(`no revision is '${parts[k]}'`) };
  }
  if ((from as number) > (to as number)) return { ok: false, problem: rangeProblem(`'${parts[0]}' comes after '${parts[1]}'`) };
  return { ok: true, from: from as number, to: to as number };
}

/** the index of the one revision `part` names; a message when several start with it */
function indexOf(revisions: readonly Revision[], part: string): number | string | undefined {
  const exact = revisions.findIndex((r) => r.id === part);
  if (exact >= 0) return exact;
  const matches = revisions.flatMap((r, k) => (r.id.startsWith(part) ? [k] : []));
  if (matches.length > 1) return `'${part}' is the start of ${matches.length} revision ids: ${matches.map((k) => revisions[k]!.id).join(', ')}`;
  return matches[0];
}

function rangeProblem(message: string): Problem {
  return problem('ARGUMENT_INVALID', { message: `--revisions: ${message}`, hint: 'give <from>..<to> with revision ids or unique prefixes of them, e.g. --revisions 20261120..20261125 (either end may be left out)' });
}
