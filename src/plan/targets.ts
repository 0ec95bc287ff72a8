import { closest, problem, type Problem } from '../errors.js';

export type Target =
  | { kind: 'head' }
  | { kind: 'base' }
  | { kind: 'relative'; steps: number }
  | { kind: 'revision'; id: string };

/** `suggestion`: the target the input was probably meant to be (a typo of a tag or slug), when there is one */
export type TargetResult = { ok: true; target: Target } | { ok: false; problem: Problem; suggestion?: string };

export interface TargetUniverse {
  /** every known id: on disk and applied, in order */
  ids: readonly string[];
  /** tag -> revision id */
  tags: ReadonlyMap<string, string>;
  /** a tag written on more than one revision on disk -> those revisions: it names none of them */
  ambiguousTags?: ReadonlyMap<string, readonly string[]>;
  /** a revision a squashed revision replaces, not itself in `ids` (the chain followed is the squashed one) -> that squashed revision */
  replacedBy?: ReadonlyMap<string, string>;
}

/** `head`, `base`, `+N`, `-N`, a full id, a unique id prefix, or a tag. */
export function resolveTarget(text: string, universe: TargetUniverse): TargetResult {
  const input = text.trim();
  if (input === '' ) return invalid(text, 'the target is empty');
  const lower = input.toLowerCase();
  if (lower === 'head') return { ok: true, target: { kind: 'head' } };
  if (lower === 'base') return { ok: true, target: { kind: 'base' } };
  const relative = /^([+-])(\d+)$/.exec(input);
  if (relative) {
    const steps = Number(relative[2]);
    if (steps === 0) return invalid(text, `'${input}' moves nowhere`);
    return { ok: true, target: { kind: 'relative', steps: relative[1] === '-' ? -steps : steps } };
  }
  const sharing = universe.ambiguousTags?.get(input);
  if (sharing !== undefined) {
    return {
      ok: false,
      problem: problem('TARGET_AMBIGUOUS', {
        message: `the tag '${input}' is on ${sharing.length} revisions: ${sharing.join(', ')}`,
        hint: `a tag names one revision: remove it from the others' --! Tags: line (strata tags lists every tag), or give a revision id`,
      }),
    };
  }
  const tagged = universe.tags.get(input);
  const byPrefix = universe.ids.filter((id) => id.startsWith(input));
  const exact = universe.ids.find((id) => id === input);
  if (exact) return { ok: true, target: { kind: 'revision', id: exact } };
  if (tagged !== undefined && byPrefix.length > 0 && !(byPrefix.length === 1 && byPrefix[0] === tagged)) {
    return {
      ok: false,
      problem: problem('TARGET_AMBIGUOUS', {
        message: `'${input}' is both the tag of ${tagged} and the start of ${byPrefix.join(', ')}`,
        hint: 'give the full revision id',
      }),
    };
  }
  if (tagged !== undefined) return { ok: true, target: { kind: 'revision', id: tagged } };
  if (byPrefix.length === 1) return { ok: true, target: { kind: 'revision', id: byPrefix[0]! } };
  if (byPrefix.length > 1) {
    const shown = byPrefix.slice(0, 5).join(', ') + (byPrefix.length > 5 ? `, … (${byPrefix.length} in all)` : '');
    return {
      ok: false,
      problem: problem('TARGET_AMBIGUOUS', { message: `'${input}' matches ${byPrefix.length} revisions: ${shown}`, hint: 'give more of the id' }),
    };
  }
  const replaced = [...(universe.replacedBy ?? [])].filter(([id]) => id.startsWith(input));
  if (replaced.length === 1) {
    const [[id, squash]] = replaced as [[string, string]];
    // the squashed revision is one step: its end, or the revision before it (its start)
    const at = universe.ids.indexOf(squash);
    const before = at > 0 ? universe.ids[at - 1]! : 'base';
    return {
      ok: false,
      problem: problem('TARGET_UNKNOWN', {
        message: `${id} was squashed into ${squash}: here the revisions it replaces are one step, ${squash}, and none of them can be a target`,
        hint: `target ${squash} for the end of that step (strata up ${squash} applies it; strata down ${squash} keeps it), or ${before} for its start (strata down ${before} reverts it as a whole)`,
      }),
    };
  }
  const suggestion = closest(input, [...universe.tags.keys(), ...universe.ids.map((id) => id.slice(15))]);
  const suggestedTarget = suggestion === undefined ? undefined
    : universe.tags.has(suggestion) ? suggestion : universe.ids.find((id) => id.slice(15) === suggestion);
  const unknown = problem('TARGET_UNKNOWN', {
    message: `no revision or tag matches '${input}'`,
    hint: suggestedTarget ? `did you mean ${suggestedTarget}?` : "targets are head, base, +N, -N, a revision id or its prefix, or a tag; 'strata status' lists them",
  });
  return suggestedTarget === undefined ? { ok: false, problem: unknown } : { ok: false, problem: unknown, suggestion: suggestedTarget };
}

function invalid(text: string, why: string): TargetResult {
  return { ok: false, problem: problem('TARGET_INVALID', { message: `invalid target '${text}': ${why}`, hint: 'targets are head, base, +N, -N, a revision id or its prefix, or a tag' }) };
}
