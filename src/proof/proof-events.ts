import { describeShadows } from '../db/shadow.js';

/** What dump and check say while they work: which shadow database (one line each), and notes. */
export interface ProofEvents {
  shadow(description: string): void;
  note(message: string): void;
}

/**
 * The shadows a command opens at once, said in one line: `say(k, description)` as the k-th of
 * `count` is opened, `say(k)` once its work is over (it may never have opened); the line comes
 * when each has been heard from, naming those that opened, in order.
 */
export function shadowsInOneLine(events: ProofEvents, count: number): (k: number, description?: string) => void {
  const heard: Array<string | undefined | null> = Array.from({ length: count }, () => null);
  let isSaid = false;
  return (k, description) => {
    if (heard[k] !== null) return;
    heard[k] = description;
    if (isSaid || heard.includes(null)) return;
    isSaid = true;
    const opened = heard.filter((d): d is string => typeof d === 'string');
    if (opened.length > 0) events.shadow(describeShadows(opened));
  };
}
