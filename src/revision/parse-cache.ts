import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { ScriptStatement } from '../sql/split-statements.js';
import { writeCacheFile } from './cache-file.js';
import { sha256 } from './checksums.js';
import { fnv1a } from './revision-cache.js';

/**
 * What parsing a script found, kept between runs by the exact text of its body (sha-256), so that
 * `up` of a history it has parsed before (another database, a CI job on the same machine, the
 * revert of what it applied) does not load the WASM parser at all: the statements' ranges and
 * classification, which is all the executor needs, and the older grammars (server-grammar.ts)
 * that accepted it. Only scripts that parsed are kept; a script that did not is parsed again, so
 * its problems are always the parser's. Beside the revision cache (revision-cache.ts), in the
 * same folder, with a version key naming the parser packages, and the same rules: a file that
 * does not parse or is of another version is ignored; one that cannot be written means no cache.
 * An entry also keeps what linting its script found (lint-cache.ts says when that is reused). The
 * statements' texts are not written: they are slices of the body the entry is found by.
 */

/** Bump when what an entry holds or what classify-statement.ts / split-statements.ts compute changes. */
const PARSE_CACHE_FORMAT = 'strata-parse-cache-1';
/** Entries kept: the newest used, the others dropped (a few MB at most). */
const MAX_ENTRIES = 20_000;

export interface ParsedScript {
  statements: ScriptStatement[];
  /** major versions whose grammar (older than strata's own) accepted the script too */
  olderGrammars: number[];
  /** what linting the script found, by the context it was linted in (the lint room's data: lint-cache.ts) */
  lint?: Record<string, unknown>;
}

export interface ParseCache {
  get(body: string): ParsedScript | undefined;
  set(body: string, parsed: ParsedScript): void;
  /** keeps `value` as what linting `body` in `context` found; only for a body that is in the cache (it parsed) */
  setLint(body: string, context: string, value: unknown): void;
  /** writes the file when something was set; never throws */
  save(): void;
}

export const noParseCache: ParseCache = { get: () => undefined, set: () => {}, setLint: () => {}, save: () => {} };

/** A parse cache for one process only (a fleet's runs share it when there is no cache folder). */
export function memoryParseCache(): ParseCache {
  const entries = new Map<string, ParsedScript>();
  return {
    // kept with their texts (slices of the body, which the map holds): every run gets the same statements
    get: (body) => entries.get(body),
    set: (body, parsed) => void entries.set(body, kept(parsed, withoutTree)),
    setLint: (body, context, value) => {
      const entry = entries.get(body);
      if (entry) entry.lint = withLint(entry.lint, context, value);
    },
    save: () => {},
  };
}

/** The parse cache of the migrations folder `dir` in `cacheDir` (undefined: none); read on first use (a no-op `up` never uses it). */
export function openParseCache(cacheDir: string | undefined, dir: string): ParseCache {
  if (cacheDir === undefined) return noParseCache;
  let opened: { file: string; version: string; entries: Map<string, ParsedScript> } | null | undefined;
  const open = () => {
    if (opened !== undefined) return opened;
    try {
      const version = parserVersions();
      const file = path.join(cacheDir, 'revisions', `${fnv1a(fs.realpathSync(dir)).toString(16).padStart(8, '0')}.parsed.json`);
      opened = version === undefined ? null : { file, version, entries: readEntries(file, version) };
    } catch {
      opened = null;
    }
    return opened;
  };
  let isChanged = false;
  // a run asks for the same body more than once (its checks, the older grammars, lint): hashed once
  const keys = new Map<string, string>();
  const keyOf = (body: string) => {
    let key = keys.get(body);
    if (key === undefined) keys.set(body, (key = sha256(body, 'base64')));
    return key;
  };
  return {
    get(body) {
      return withTexts(open()?.entries.get(keyOf(body)), body);
    },
    set(body, parsed) {
      const cache = open();
      if (!cache) return;
      const key = keyOf(body);
      cache.entries.delete(key);
      cache.entries.set(key, kept(parsed, withoutTreeOrText));
      isChanged = true;
    },
    setLint(body, context, value) {
      const entry = open()?.entries.get(keyOf(body));
      if (!entry) return;
      entry.lint = withLint(entry.lint, context, value);
      isChanged = true;
    },
    save() {
      if (!isChanged) return;
      const cache = open();
      if (!cache) return;
      isChanged = false;
      writeCacheFile(cache.file, documentOf(cache.version, cache.entries));
    },
  };
}

/** The file's text, an entry at a time: `{"version":...,"entries":{key:entry,...}}`, the newest MAX_ENTRIES entries. */
function* documentOf(version: string, entries: Map<string, ParsedScript>): Generator<string> {
  yield `{"version":${JSON.stringify(version)},"entries":{`;
  let skip = entries.size - MAX_ENTRIES;
  let separator = '';
  for (const [key, entry] of entries) {
    if (skip-- > 0) continue;
    yield `${separator}${JSON.stringify(key)}:${JSON.stringify(entry)}`;
    separator = ',';
  }
  yield '}}\n';
}

/** Lint contexts kept per script: a script is linted in one or two (up's, lint's, with or without --lock-timeout-ddl). */
const MAX_LINT_CONTEXTS = 4;

function kept(parsed: ParsedScript, statement: (s: ScriptStatement) => ScriptStatement): ParsedScript {
  return { statements: parsed.statements.map(statement), olderGrammars: [...parsed.olderGrammars], ...(parsed.lint ? { lint: parsed.lint } : {}) };
}

/** A lint context names the rules' version before its first ';': those of another version are dropped. */
function withLint(lint: Record<string, unknown> | undefined, context: string, value: unknown): Record<string, unknown> {
  const version = context.slice(0, context.indexOf(';') + 1);
  const contexts = Object.entries(lint ?? {}).filter(([key]) => key !== context && key.startsWith(version)).slice(-(MAX_LINT_CONTEXTS - 1));
  return Object.fromEntries([...contexts, [context, value]]);
}

/** A statement as kept: its syntax tree (which may be large) is not. */
function withoutTree(statement: ScriptStatement & { ast?: unknown }): ScriptStatement {
  const { ast: _tree, ...rest } = statement;
  return rest;
}

/** A statement as written to the file: nor is its text, a slice of the body the entry is found by (withTexts). */
function withoutTreeOrText(statement: ScriptStatement & { ast?: unknown }): ScriptStatement {
  const { ast: _tree, text: _text, ...rest } = statement;
  return rest as ScriptStatement;
}

/** The entry's statements with their texts, sliced from the body (sharing its memory). */
function withTexts(entry: ParsedScript | undefined, body: string): ParsedScript | undefined {
  if (!entry) return undefined;
  return { ...entry, statements: entry.statements.map((s) => ({ ...s, text: body.slice(s.start, s.end) })) };
}

function readEntries(file: string, version: string): Map<string, ParsedScript> {
  const entries = new Map<string, ParsedScript>();
  let document: { version?: unknown; entries?: unknown };
  try {
    document = JSON.parse(fs.readFileSync(file, 'utf8')) as typeof document;
  } catch {
    return entries;
  }
  if (typeof document !== 'object' || document === null || document.version !== version || typeof document.entries !== 'object' || document.entries === null) return entries;
  for (const [key, value] of Object.entries(document.entries as Record<string, unknown>)) {
    if (isParsedScript(value)) entries.set(key, { ...value, statements: value.statements.map(withoutTreeOrText) });
  }
  return entries;
}

function isParsedScript(v: unknown): v is ParsedScript {
  const p = v as ParsedScript | undefined;
  return typeof p === 'object' && p !== null && Array.isArray(p.olderGrammars) && (p.lint === undefined || (typeof p.lint === 'object' && p.lint !== null)) && p.olderGrammars.every((m) => typeof m === 'number')
    && Array.isArray(p.statements) && p.statements.every((s) => typeof s === 'object' && s !== null
      && typeof s.start === 'number' && typeof s.end === 'number' && s.start <= s.end && typeof s.nodeType === 'string' && typeof s.label === 'string'
      && typeof s.isTransactionControl === 'boolean' && typeof s.cannotRunInTransaction === 'boolean' && typeof s.readsStdin === 'boolean'
      && (s.transaction === undefined || (typeof s.transaction === 'object' && s.transaction !== null && typeof s.transaction.kind === 'string' && typeof s.transaction.chain === 'boolean')));
}

/** The parser packages' versions: a cache written with another parser is not read. */
function parserVersions(): string | undefined {
  try {
    const require = createRequire(import.meta.url);
    const versionOf = (name: string) => (JSON.parse(fs.readFileSync(require.resolve(`${name}/package.json`), 'utf8')) as { version: string }).version;
    return [PARSE_CACHE_FORMAT, ...['libpg-query', 'libpg-query-15', 'libpg-query-16', 'libpg-query-17'].map((name) => `${name}=${versionOf(name)}`)].join(';');
  } catch {
    return undefined;
  }
}
