import type { StrataConfig } from '../config.js';
import { shadowsMayRunAtOnce, withShadow } from '../db/shadow.js';
import type { Unavailable } from '../errors.js';
import type { RevisionSet } from '../revision/build-revisions.js';
import { shadowsInOneLine, type ProofEvents } from './proof-events.js';
import { roundTrip, type RoundTripResult } from './round-trip.js';

/** Below this many revisions a second shadow costs more than it saves. */
const REVISIONS_PER_SHADOW = 12;

/**
 * The round trip of [from, to], on one shadow, or on two at once when the shadows are temporary
 * databases on a server: the server proves both halves in parallel, each on a database of its
 * own (the second is first migrated to where the first half ends): see shadowsMayRunAtOnce. The halves' entries
 * and problems come back in revision order; a failure in the first half does not stop the second,
 * whose schema is made by up.sql alone. The shadows are said in one line, in the halves' order.
 */
export async function roundTripOnShadows(config: StrataConfig, set: RevisionSet, range: { from: number; to: number }, events: ProofEvents & { shadow: (description: string) => void }, signal?: AbortSignal): Promise<RoundTripResult | Unavailable> {
  const count = range.to - range.from + 1;
  const isServerTemporary = shadowsMayRunAtOnce(config);
  // a revision's proof costs about as much as the schema it is proven on is large, which grows
  // along the history: splitting at n/√2 gives the two shadows about the same work
  const split = range.from + Math.round(count / Math.SQRT2);
  const halves = isServerTemporary && count >= 2 * REVISIONS_PER_SHADOW
    ? [{ from: range.from, to: split - 1 }, { from: split, to: range.to }]
    : [range];
  const say = shadowsInOneLine(events, halves.length);
  const results = await Promise.all(halves.map((half, k) =>
    withShadow(config, { onNote: events.note }, async (shadow) => {
      say(k, shadow.description);
      return roundTrip(shadow.db, config, set, half, { signal, toHead: k === halves.length - 1 });
    }).finally(() => say(k))));
  const stopped = results.find((r) => !r.ok);
  if (stopped) return stopped as Exclude<(typeof results)[number], { ok: true }>;
  const done = results as Array<Extract<RoundTripResult, { ok: true }>>;
  return { ok: true, entries: done.flatMap((r) => r.entries), problems: done.flatMap((r) => r.problems), head: done.at(-1)!.head };
}
