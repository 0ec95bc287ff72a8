/**
 * Header edits that strata writes itself (squash, rebase, tag): one `--! Key: value` line of an
 * up.sql set, replaced or removed, everything else of the file kept byte for byte. The header is
 * excluded from the checksum, so an applied revision stays applied. Pure.
 */

const HEADER_LINE = /^--!\s*([A-Za-z][A-Za-z0-9_-]*)\s*:/;

/** `value` undefined: the line goes. A key not there yet is added after the header's last line. */
export function setHeaderLine(file: string, key: string, value: string | undefined): string {
  // a UTF-8 BOM stays where it is, before the first header line
  const bom = file.startsWith('\uFEFF') ? '\uFEFF' : '';
  const text = file.slice(bom.length);
  const newline = text.includes('\r\n') ? '\r\n' : '\n';
  const lines = text.split(/\r?\n/);
  let headerEnd = 0;
  while (headerEnd < lines.length && lines[headerEnd]!.startsWith('--!')) headerEnd++;
  const at = lines.slice(0, headerEnd).findIndex((line) => HEADER_LINE.exec(line)?.[1]?.toLowerCase() === key.toLowerCase());
  const line = value === undefined ? undefined : `--! ${key}: ${value}`;
  if (at !== -1) {
    if (line === undefined) lines.splice(at, 1);
    else lines[at] = line;
  } else if (line !== undefined) {
    lines.splice(headerEnd, 0, line);
  }
  return bom + lines.join(newline);
}

/** The value of a header line, as written; undefined when the header has none. */
export function headerValue(text: string, key: string): string | undefined {
  for (const line of text.split(/\r?\n/)) {
    if (!line.startsWith('--!')) break;
    const found = /^--!\s*([A-Za-z][A-Za-z0-9_-]*)\s*:\s*(.*?)\s*$/.exec(line);
    if (found && found[1]!.toLowerCase() === key.toLowerCase()) return found[2];
  }
  return undefined;
}
