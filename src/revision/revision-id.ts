/** A revision id is its folder name: a 14-digit UTC timestamp, `_`, and a slug of [a-z0-9_]. */
const REVISION_ID_PATTERN = /^(\d{14})_([a-z0-9_]+)$/;

/** names already judged: every command (and each save in strata dev) checks the same hundreds of folder names */
const judged = new Map<string, boolean>();

export function isRevisionId(name: string): boolean {
  let is = judged.get(name);
  if (is === undefined) {
    const match = REVISION_ID_PATTERN.exec(name);
    is = match !== null && isValidTimestamp(match[1]!);
    if (judged.size < 100_000) judged.set(name, is);
  }
  return is;
}

function isValidTimestamp(digits: string): boolean {
  const [year, month, day, hour, minute, second] = [
    digits.slice(0, 4), digits.slice(4, 6), digits.slice(6, 8),
    digits.slice(8, 10), digits.slice(10, 12), digits.slice(12, 14),
  ].map(Number) as [number, number, number, number, number, number];
  const date = new Date(Date.UTC(year, month - 1, day, hour, minute, second));
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day
    && date.getUTCHours() === hour && date.getUTCMinutes() === minute && date.getUTCSeconds() === second;
}

export function formatTimestamp(date: Date): string {
  const pad = (n: number, width = 2) => String(n).padStart(width, '0');
  return `${pad(date.getUTCFullYear(), 4)}${pad(date.getUTCMonth() + 1)}${pad(date.getUTCDate())}`
    + `${pad(date.getUTCHours())}${pad(date.getUTCMinutes())}${pad(date.getUTCSeconds())}`;
}

/** The timestamp one second after a revision id's (or a bare timestamp's): the next id that sorts after it. */
export function timestampAfter(idOrTimestamp: string): string {
  const t = idOrTimestamp.slice(0, 14);
  return formatTimestamp(new Date(Date.UTC(+t.slice(0, 4), +t.slice(4, 6) - 1, +t.slice(6, 8), +t.slice(8, 10), +t.slice(10, 12), +t.slice(12, 14) + 1)));
}

/** "Add orders table!" -> "add_orders_table" */
export function slugify(message: string): string {
  const slug = message
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '')
    .slice(0, 60)
    .replace(/_+$/, '');
  return slug === '' ? 'revision' : slug;
}

/** A name for a misnamed folder, when one can be guessed (e.g. `2026-11-25_Add-Orders` -> `..._add_orders`). */
export function suggestRevisionId(name: string): string | undefined {
  const digits = /^[\d_\-T:.]+/.exec(name)?.[0].replace(/\D/g, '') ?? '';
  if (digits.length < 8) return undefined;
  const timestamp = digits.padEnd(14, '0').slice(0, 14);
  const rest = name.slice((/^[\d_\-T:.]+/.exec(name)?.[0] ?? '').length);
  const candidate = `${timestamp}_${slugify(rest)}`;
  return isRevisionId(candidate) ? candidate : undefined;
}
