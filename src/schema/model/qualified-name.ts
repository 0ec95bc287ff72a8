/** A qualified name as quote_ident writes its parts, taken apart. Pure. */

/** `public."a.b".c` -> ['public', '"a.b"', 'c']: dots inside double quotes are part of the name */
export function splitQualified(qualified: string): string[] {
  const parts: string[] = [];
  let current = '';
  let quoted = false;
  for (const char of qualified) {
    if (char === '"') quoted = !quoted;
    if (char === '.' && !quoted) {
      parts.push(current);
      current = '';
    } else current += char;
  }
  parts.push(current);
  return parts;
}
