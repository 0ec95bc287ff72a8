import { closest, problem, type Problem } from '../errors.js';
import { lineColumnAt } from '../text/source-position.js';
import { lexSql } from '../sql/lexer.js';
import { isRevisionId } from './revision-id.js';

export type FileRole = 'up' | 'down';

export interface UpHeader {
  parent: string | undefined;
  message: string | undefined;
  transactional: boolean;
  tags: string[];
  /** `Replaces:` the revisions a squashed revision stands for, in order (strata squash writes it) */
  replaces: string[];
  /** `Lint-allow: <rule> <why>` lines (repeatable): lint findings of that rule in this file accepted knowingly */
  lintAllows: LintAllow[];
}

/** One `--! Lint-allow: <rule> <why>` header line; lint/ checks that the rule exists. */
export interface LintAllow {
  rule: string;
  reason: string;
  line: number;
}

export interface DownHeader {
  transactional: boolean;
  /** why the revision cannot be reverted, when it cannot */
  irreversible: string | undefined;
  lintAllows: LintAllow[];
}

export interface ParsedFile<H> {
  header: H;
  /** the text after the header, as in the file (what is executed; its normalised form is hashed) */
  body: string;
  /** UTF-16 index in the file text where the body starts */
  bodyOffset: number;
  problems: Problem[];
}

/** What parseHeaderLines found besides the body: which keys the header meant to set, even misspelt or with a bad value. */
interface HeaderLines extends Omit<ParsedFile<unknown>, 'header'> {
  intendedKeys: Set<string>;
}

const UP_KEYS = ['Parent', 'Message', 'Transaction', 'Tags', 'Replaces', 'Lint-allow'] as const;
const DOWN_KEYS = ['Transaction', 'Irreversible', 'Lint-allow'] as const;
/** keys that may be given on several lines */
const REPEATABLE_KEYS: readonly string[] = ['Lint-allow'];
const HEADER_LINE = /^--!(.*)$/;
const KEY_VALUE = /^\s*([A-Za-z][A-Za-z0-9_-]*)\s*:\s*(.*?)\s*$/;
const TAG_PATTERN = /^[A-Za-z][A-Za-z0-9._-]*$/;

/**
 * The file's text with a leading UTF-8 BOM removed and nothing else changed: line numbers refer
 * to it and the body taken from it is sent as it is (checksums.ts normalises, for hashing only).
 */
export function withoutBom(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/** `revision`: the id of the revision the file belongs to, set on every problem (absent for a file read on its own, as in tests). */
export function parseUpFile(text: string, file: string, revision?: string): ParsedFile<UpHeader> {
  const header: UpHeader = { parent: undefined, message: undefined, transactional: true, tags: [], replaces: [], lintAllows: [] };
  const result = parseHeaderLines(text, file, 'up', (key, value, line, problems) => {
    switch (key) {
      case 'Parent':
        if (value === '') problems.push(problem('HEADER_BAD_VALUE', { file, line, message: 'Parent is empty', hint: "write the id of the previous revision, or 'base' for the first" }));
        else header.parent = value;
        break;
      case 'Message':
        header.message = value;
        break;
      case 'Transaction':
        header.transactional = parseTransaction(value, file, line, problems);
        break;
      case 'Tags':
        header.tags = parseTags(value, file, line, problems);
        break;
      case 'Replaces':
        header.replaces = parseReplaces(value, file, line, problems);
        break;
      case 'Lint-allow':
        header.lintAllows.push(...parseLintAllow(value, file, line, problems));
        break;
    }
  });
  // a Parent line that is empty or misspelt has its own problem already
  if (header.parent === undefined && !result.intendedKeys.has('Parent')) {
    result.problems.push(problem('HEADER_MISSING_PARENT', {
      file, line: 1,
      message: 'up.sql has no Parent header',
      hint: "add '--! Parent: <previous revision id>' (or '--! Parent: base' for the first revision) as the first line",
    }));
  }
  return { header, body: result.body, bodyOffset: result.bodyOffset, problems: aboutRevision(result.problems, revision) };
}

export function parseDownFile(text: string, file: string, revision?: string): ParsedFile<DownHeader> {
  const header: DownHeader = { transactional: true, irreversible: undefined, lintAllows: [] };
  const result = parseHeaderLines(text, file, 'down', (key, value, line, problems) => {
    if (key === 'Transaction') header.transactional = parseTransaction(value, file, line, problems);
    if (key === 'Lint-allow') header.lintAllows.push(...parseLintAllow(value, file, line, problems));
    if (key === 'Irreversible') {
      if (value === '') problems.push(problem('HEADER_BAD_VALUE', { file, line, message: 'Irreversible needs a reason', hint: "say why, e.g. '--! Irreversible: drops customer data that cannot be restored'" }));
      else header.irreversible = value;
    }
  });
  return { header, body: result.body, bodyOffset: result.bodyOffset, problems: aboutRevision(result.problems, revision) };
}

function aboutRevision(problems: Problem[], revision: string | undefined): Problem[] {
  return revision === undefined ? problems : problems.map((p) => ({ ...p, revision }));
}

function parseHeaderLines(
  text: string,
  file: string,
  role: FileRole,
  accept: (key: string, value: string, line: number, problems: Problem[]) => void,
): HeaderLines {
  const problems: Problem[] = [];
  const intendedKeys = new Set<string>();
  const known: readonly string[] = role === 'up' ? UP_KEYS : DOWN_KEYS;
  const other: readonly string[] = role === 'up' ? DOWN_KEYS : UP_KEYS;
  const seen = new Map<string, number>();
  let offset = 0;
  let lineNumber = 1;
  let bodyOffset = 0;
  while (offset <= text.length) {
    // a line ends at LF, CRLF or a lone CR; `next` is where the following line starts
    const end = lineEnd(text, offset);
    const next = end === text.length ? -1 : text.charCodeAt(end) === 0x0d && text.charCodeAt(end + 1) === 0x0a ? end + 2 : end + 1;
    const line = text.slice(offset, end);
    const headerMatch = HEADER_LINE.exec(line);
    if (headerMatch) {
      const keyValue = KEY_VALUE.exec(headerMatch[1]!);
      if (!keyValue) {
        problems.push(problem('HEADER_MALFORMED', {
          file, line: lineNumber, column: 1,
          message: `header line '${line}' is not 'Key: value'`,
          hint: `write it as '--! ${known[0]}: ...'`,
        }));
      } else {
        const written = keyValue[1]!;
        const value = keyValue[2]!;
        const key = known.find((k) => k.toLowerCase() === written.toLowerCase());
        if (key !== undefined) intendedKeys.add(key);
        if (key === undefined) {
          const elsewhere = other.find((k) => k.toLowerCase() === written.toLowerCase());
          if (elsewhere) {
            problems.push(problem('HEADER_WRONG_FILE', {
              file, line: lineNumber, column: 5,
              message: `'${elsewhere}' belongs in ${role === 'up' ? 'down.sql' : 'up.sql'}, not ${role}.sql`,
              hint: `move the line to ${role === 'up' ? 'down.sql' : 'up.sql'}`,
            }));
          } else {
            const suggestion = closest(written, known);
            if (suggestion) intendedKeys.add(suggestion);
            problems.push(problem('HEADER_UNKNOWN_KEY', {
              file, line: lineNumber, column: 5,
              message: `unknown header '${written}'${suggestion ? `; did you mean '${suggestion}'?` : ''}`,
              hint: `${role}.sql headers are: ${known.join(', ')}`,
            }));
          }
        } else if (seen.has(key) && !REPEATABLE_KEYS.includes(key)) {
          problems.push(problem('HEADER_REPEATED_KEY', {
            file, line: lineNumber, column: 5,
            message: `header '${key}' is repeated (first on line ${seen.get(key)})`,
            hint: 'keep one of the two lines',
          }));
        } else {
          seen.set(key, lineNumber);
          accept(key, value, lineNumber, problems);
        }
      }
      bodyOffset = next === -1 ? text.length : next;
    } else {
      break;
    }
    if (next === -1) break;
    offset = next;
    lineNumber++;
  }
  const body = text.slice(bodyOffset);
  problems.push(...misplacedHeaderLines(text, bodyOffset, file, role));
  return { body, bodyOffset, problems, intendedKeys };
}

/**
 * Below the header, `--!` lines are comments (graphile-worker's `--! breaking-change`, notes of
 * other tools); only one that spells a key strata reads is a mistake worth an error, since that
 * setting would silently not apply. A line counts as the lexer sees it: a `--` comment that is the
 * first thing on its line, not text inside a string, a dollar quote or a block comment.
 */
function misplacedHeaderLines(text: string, bodyOffset: number, file: string, role: FileRole): Problem[] {
  if (!text.includes('--!', bodyOffset)) return [];
  const body = text.slice(bodyOffset);
  const problems: Problem[] = [];
  for (const comment of lexSql(body).lineComments) {
    if (!body.startsWith('--!', comment.start) || !isFirstOnItsLine(body, comment.start)) continue;
    const keyValue = KEY_VALUE.exec(body.slice(comment.start + 3, comment.end));
    const written = keyValue?.[1]?.toLowerCase();
    const key = written === undefined ? undefined : [...UP_KEYS, ...DOWN_KEYS].find((k) => k.toLowerCase() === written);
    if (key === undefined) continue;
    const belongsHere = (role === 'up' ? UP_KEYS : DOWN_KEYS).some((k) => k === key);
    const headerOf = belongsHere ? 'the header at the top of the file' : `the header at the top of ${role === 'up' ? 'down.sql' : 'up.sql'}`;
    problems.push(problem('HEADER_MISPLACED', {
      file, ...lineColumnAt(text, bodyOffset + comment.start),
      message: `header line '${body.slice(comment.start, comment.end).trim()}' is below the start of the SQL body, where it is only a comment: ${key} does not apply`,
      hint: `move it into ${headerOf} (the --! lines before any SQL, comment or blank line)`,
    }));
  }
  return problems;
}

/** Only spaces or tabs between the line's start (a line break, or the start of the body) and `index`. */
function isFirstOnItsLine(body: string, index: number): boolean {
  for (let i = index - 1; i >= 0; i--) {
    const c = body.charCodeAt(i);
    if (c === 0x0a || c === 0x0d) return true;
    if (c !== 0x20 && c !== 0x09) return false;
  }
  return true;
}

function lineEnd(text: string, from: number): number {
  let i = from;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (c === 0x0a || c === 0x0d) break;
    i++;
  }
  return i;
}

function parseTransaction(value: string, file: string, line: number, problems: Problem[]): boolean {
  const lower = value.toLowerCase();
  if (lower === 'on' || lower === 'true') return true;
  if (lower === 'off' || lower === 'false') return false;
  problems.push(problem('HEADER_BAD_VALUE', {
    file, line,
    message: `Transaction must be 'on' or 'off', got '${value}'`,
    hint: "write '--! Transaction: off' to run the file outside a transaction, or remove the line",
  }));
  return true;
}

function parseLintAllow(value: string, file: string, line: number, problems: Problem[]): LintAllow[] {
  const match = /^(\S+)\s+(\S.*)$/.exec(value);
  if (!match) {
    problems.push(problem('HEADER_BAD_VALUE', {
      file, line,
      message: value === '' ? 'Lint-allow needs a rule and a reason' : `Lint-allow ${value} needs a reason after the rule`,
      hint: `say why the finding is accepted, e.g. '--! Lint-allow: ${value || 'create-index-not-concurrently'} the table has 40 rows'`,
    }));
    return [];
  }
  return [{ rule: match[1]!, reason: match[2]!, line }];
}

function parseReplaces(value: string, file: string, line: number, problems: Problem[]): string[] {
  const ids = value.split(',').map((t) => t.trim()).filter((t) => t !== '');
  const bad = ids.filter((id) => !isRevisionId(id));
  if (ids.length < 2 || bad.length > 0) {
    problems.push(problem('HEADER_BAD_VALUE', {
      file, line,
      message: bad.length > 0 ? `Replaces names ${bad.map((b) => `'${b}'`).join(', ')}, which ${bad.length === 1 ? 'is not a revision id' : 'are not revision ids'}` : 'Replaces needs the ids of two or more revisions',
      hint: 'strata squash writes this line: the ids of the revisions it replaces, in order, separated by commas',
    }));
    return [];
  }
  const repeated = ids.filter((id, k) => ids.indexOf(id) !== k);
  if (repeated.length > 0) problems.push(problem('HEADER_BAD_VALUE', { file, line, message: `Replaces names ${repeated[0]} twice`, hint: 'name each replaced revision once' }));
  return ids;
}

/** A tag strata accepts: a release name that is not a target word. */
export function isValidTag(tag: string): boolean {
  return TAG_PATTERN.test(tag) && !['head', 'base'].includes(tag.toLowerCase());
}

function parseTags(value: string, file: string, line: number, problems: Problem[]): string[] {
  const tags = value.split(',').map((t) => t.trim()).filter((t) => t !== '');
  for (const tag of tags) {
    if (!isValidTag(tag)) {
      problems.push(problem('HEADER_BAD_VALUE', {
        file, line,
        message: `tag '${tag}' is not a valid release name`,
        hint: "tags start with a letter and use letters, digits, '.', '_' or '-' (e.g. v1.4); 'head' and 'base' are reserved",
      }));
    }
  }
  return tags;
}
