/**
 * Loading PostgreSQL's parser: libpg-query, compiled to WebAssembly. This is the one part of sql/
 * that is not pure (it compiles a WASM module), so it is kept here, small: everything else in sql/
 * takes the loaded parser and only computes. Each module is loaded lazily, once, on first use,
 * and compiled without V8's tier-up (wasm-tier-up.ts says why).
 */
import { withoutWasmTierUp } from './wasm-tier-up.js';

/** PostgreSQL 18's parser: the grammar strata reads SQL with. */
export type SqlParser = typeof import('libpg-query');

let parser: SqlParser | undefined;
let loading: Promise<void> | undefined;

/** Loads the parser once; must be awaited before splitStatements. Cheap to call again. */
export async function loadSqlParser(): Promise<void> {
  if (parser) return;
  loading ??= (async () => {
    const mod = await import('libpg-query');
    await withoutWasmTierUp(() => mod.loadModule());
    parser = mod;
  })();
  try {
    await loading;
  } catch (error) {
    loading = undefined; // allow a retry after a failed load
    throw error;
  }
}

/** The parser loadSqlParser() loaded, for synchronous use; calling it before is a programmer error. */
export function loadedSqlParser(caller: string): SqlParser {
  if (!parser) throw new Error(`SQL parser not loaded: await loadSqlParser() before ${caller}()`);
  return parser;
}

/** What server-grammar.ts needs of an older major version's parser: whether a script parses. */
export interface GrammarParser {
  parseSync(sql: string): unknown;
  hasSqlDetails(error: unknown): error is Error & { sqlDetails?: { cursorPosition?: number } };
}

// libpg-query's builds for older majors, the servers strata supports that are older than its own grammar
const OLDER_GRAMMARS: Record<number, () => Promise<GrammarParser & { loadModule(): Promise<void> }>> = {
  15: () => import('libpg-query-15'),
  16: () => import('libpg-query-16'),
  17: () => import('libpg-query-17'),
};

/** The major versions strata can check a script against besides 18. */
export const CHECKED_MAJORS = Object.keys(OLDER_GRAMMARS).map(Number);

const olderGrammars = new Map<number, Promise<GrammarParser>>();

/** The parser of PostgreSQL `major`'s grammar, loaded once; undefined for a major without its own build. */
export function loadOlderGrammar(major: number): Promise<GrammarParser> | undefined {
  const load = OLDER_GRAMMARS[major];
  if (!load) return undefined;
  let grammar = olderGrammars.get(major);
  if (!grammar) {
    grammar = (async () => {
      const mod = await load();
      await withoutWasmTierUp(() => mod.loadModule());
      return mod;
    })();
    olderGrammars.set(major, grammar);
  }
  return grammar;
}
