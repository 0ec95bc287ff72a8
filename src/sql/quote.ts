/**
 * A string literal that means the same whatever standard_conforming_strings is set to:
 * quotes doubled, and with backslashes an E'' literal with them doubled (as libpq's
 * PQescapeLiteral does). NUL cannot be stored in PostgreSQL text at all.
 */
export function quoteLiteral(value: string): string {
  if (value.includes('\0')) throw new Error('a NUL character cannot appear in PostgreSQL text');
  const quoted = value.replace(/'/g, "''");
  return value.includes('\\') ? `E'${quoted.replace(/\\/g, '\\\\')}'` : `'${quoted}'`;
}
