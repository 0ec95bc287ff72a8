import type { ScriptCheck, ScriptToCheck } from '../revision/check-scripts.js';

/**
 * What parsing a script found, shared by the runs of one fleet: the same history applied to many
 * databases is parsed once per server grammar, not once per database. Keyed by the script's
 * content (plans make new script objects), with the promise stored at once so that runs starting
 * together wait for one parse instead of each making its own.
 */
export interface ParseCache {
  readonly results: Map<string, Promise<ScriptCheck>>;
}

export function createParseCache(): ParseCache {
  return { results: new Map() };
}

/**
 * `check` run on the entries the cache has not seen for this grammar, one at a time; the result
 * is the union, keyed by the caller's own script objects.
 */
export async function checkWithCache(
  cache: ParseCache,
  entries: readonly ScriptToCheck[],
  grammar: string,
  check: (entries: readonly ScriptToCheck[]) => Promise<ScriptCheck>,
): Promise<ScriptCheck> {
  const parts = await Promise.all(entries.map((entry) => {
    const { script, role, requiresStatements } = entry;
    const key = [grammar, role, requiresStatements ? 1 : 0, script.transactional ? 1 : 0, script.path, script.bodyOffset, script.text].join('\0');
    let found = cache.results.get(key);
    if (!found) {
      found = check([entry]);
      cache.results.set(key, found);
    }
    return found.then((result) => ({ entry, result }));
  }));
  const merged: ScriptCheck = { problems: [], statements: new Map() };
  for (const { entry, result } of parts) {
    merged.problems.push(...result.problems);
    const [statements] = result.statements.values();
    if (statements) merged.statements.set(entry.script, statements);
  }
  return merged;
}
