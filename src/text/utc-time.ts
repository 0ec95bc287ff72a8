/**
 * A moment as strata prints it: `2026-11-01 09:00:12 UTC`, or `2026-11-01 09:00 UTC` to the
 * minute. `at` is a Date or the ISO text a report carries (what `--json` prints).
 */
export function formatUtc(at: Date | string, precision: 'minute' | 'second' = 'second'): string {
  const date = typeof at === 'string' ? new Date(at) : at;
  const pad = (n: number, width = 2) => String(n).padStart(width, '0');
  const day = `${pad(date.getUTCFullYear(), 4)}-${pad(date.getUTCMonth() + 1)}-${pad(date.getUTCDate())}`;
  const minutes = `${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}`;
  return `${day} ${precision === 'minute' ? minutes : `${minutes}:${pad(date.getUTCSeconds())}`} UTC`;
}
