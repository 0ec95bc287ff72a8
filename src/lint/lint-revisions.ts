/**
 * Linting revisions: which ones (`strata lint [revisions]`), their scripts parsed once with
 * check-scripts.ts (the same checks `up` makes), then the rules (lint-files.ts). `up` lints its
 * pending revisions once its checks found them sound (lintParsed). The checks keep no syntax trees
 * (a script in the parse cache is not parsed at all), so the rules' trees come from one parse here,
 * and only for files whose lint the parse cache does not hold (lint-cache.ts).
 *
 * down.sql is linted too, reported under its own file: it runs in production as well.
 */
import { problem, type Problem } from '../errors.js';
import { checkScripts, type ScriptToCheck } from '../revision/check-scripts.js';
import type { Revision, RevisionScript } from '../revision/revision.js';
import type { Script } from '../sql/script.js';
import { loadSqlParser } from '../sql/parser.js';
import { splitStatements, type ScriptStatement, type SqlStatement } from '../sql/split-statements.js';
import { noParseCache, type ParseCache } from '../revision/parse-cache.js';
import { finishFile, lintStatements, noneOwned, ownedBy, type FileLint, type LintFile, type LintFinding, type LintOptions, type LintResult } from './lint-files.js';
import { isFileLint, lintContext } from './lint-cache.js';
import { NotNullChecks } from './not-null-checks.js';

export interface LintCounts {
  errors: number;
  warnings: number;
  /** findings accepted by Lint-allow or strata:allow */
  allowed: number;
}

export type LintReport =
  /** no error-severity finding (warnings may be listed) */
  | { ok: true; revisions: string[]; findings: LintFinding[]; counts: LintCounts }
  /** error-severity findings: exit 1 */
  | { ok: false; reason: 'findings'; revisions: string[]; findings: LintFinding[]; counts: LintCounts }
  /** bad files, SQL that does not parse, an unknown revision or rule: exit 2 */
  | { ok: false; reason: 'invalid'; problems: Problem[] };

export function countFindings(result: Pick<LintResult, 'findings' | 'allowed'>): LintCounts {
  return {
    errors: result.findings.filter((f) => f.severity === 'error').length,
    warnings: result.findings.filter((f) => f.severity === 'warning').length,
    allowed: result.allowed,
  };
}

/**
 * The revisions `selection` names, in history order: nothing or [] for all; one `<from>..<to>` range
 * (either end may be left out); or ids and unique prefixes.
 */
export function selectRevisions(revisions: readonly Revision[], selection: readonly string[] = []): { ok: true; revisions: Revision[] } | { ok: false; problem: Problem } {
  if (selection.length === 0) return { ok: true, revisions: [...revisions] };
  const find = (part: string): number | Problem => {
    const exact = revisions.findIndex((r) => r.id === part);
    if (exact >= 0) return exact;
    const matches = revisions.flatMap((r, k) => (r.id.startsWith(part) ? [k] : []));
    if (matches.length === 1) return matches[0]!;
    return selectionProblem(matches.length === 0 ? `no revision is '${part}'` : `'${part}' is the start of ${matches.length} revision ids: ${matches.map((k) => revisions[k]!.id).join(', ')}`);
  };
  if (selection.length === 1 && selection[0]!.includes('..')) {
    const [fromText, toText, ...rest] = selection[0]!.split('..');
    if (rest.length > 0) return { ok: false, problem: selectionProblem(`'${selection[0]}' is not a range`) };
    const from = fromText === '' ? 0 : find(fromText!);
    const to = toText === '' ? revisions.length - 1 : find(toText!);
    if (typeof from !== 'number') return { ok: false, problem: from };
    if (typeof to !== 'number') return { ok: false, problem: to };
    if (from > to) return { ok: false, problem: selectionProblem(`'${fromText}' comes after '${toText}'`) };
    return { ok: true, revisions: revisions.slice(from, to + 1) };
  }
  const picked = new Set<number>();
  for (const part of selection) {
    const index = find(part);
    if (typeof index !== 'number') return { ok: false, problem: index };
    picked.add(index);
  }
  return { ok: true, revisions: [...picked].sort((a, b) => a - b).map((k) => revisions[k]!) };
}

function selectionProblem(message: string): Problem {
  return problem('ARGUMENT_INVALID', { message, hint: 'name revisions by id or a unique prefix, or give one range <from>..<to> (either end may be left out), e.g. strata lint 20261120..' });
}

const upScript = (r: Revision): RevisionScript => ({ path: r.up.path, text: r.up.text, body: r.up.body, bodyOffset: r.up.bodyOffset, transactional: r.transactional, revision: r.id });
const downScript = (r: Revision): RevisionScript => ({ path: r.down.path, text: r.down.text, body: r.down.body, bodyOffset: r.down.bodyOffset, transactional: r.down.transactional, revision: r.id });

/** `strata lint`: parse the revisions' up.sql and down.sql (problems refuse, as `up` would), then lint them. */
export async function lintRevisions(revisions: readonly Revision[], options: LintOptions = {}): Promise<LintReport> {
  const scripts = revisions.map((r) => ({ revision: r, up: upScript(r), down: downScript(r) }));
  const toCheck: ScriptToCheck[] = scripts.flatMap((s) => [{ script: s.up, role: 'up' as const }, { script: s.down, role: 'down' as const }]);
  const checked = await checkScripts(toCheck);
  if (checked.problems.length > 0) return { ok: false, reason: 'invalid', problems: checked.problems };
  return reportOf(revisions.map((r) => r.id), await lintParsed(scripts.map((s) => ({ revision: s.revision, up: s.up, down: s.down })), checked.statements, options));
}

export function reportOf(ids: string[], result: LintResult): LintReport {
  if (result.problems.length > 0) return { ok: false, reason: 'invalid', problems: result.problems };
  const counts = countFindings(result);
  return counts.errors > 0 ? { ok: false, reason: 'findings', revisions: ids, findings: result.findings, counts } : { ok: true, revisions: ids, findings: result.findings, counts };
}

/**
 * Lints scripts the checks found sound (by `up`'s or `check`'s checks): `statements` maps each
 * script to its statements. A script with no entry is left out. A file the parse cache holds
 * lint results for (lint-cache.ts) is not parsed; the others are parsed one revision at a time,
 * their trees dropped once linted, and what was found is kept in `cache` (saved by the caller).
 */
export async function lintParsed(items: readonly { revision: Revision; up?: Script; down?: Script }[], statements: ReadonlyMap<Script, readonly ScriptStatement[]>, options: LintOptions = {}, cache: ParseCache = noParseCache): Promise<LintResult> {
  const result: LintResult = { findings: [], allowed: 0, problems: [] };
  const checks = new NotNullChecks();
  for (const { revision, up: upScript, down: downScript } of items) {
    const up = upScript && statements.has(upScript) ? upScript : undefined;
    const down = downScript && statements.has(downScript) ? downScript : undefined;
    let upTrees: SqlStatement[] | undefined;
    const treesOfUp = async () => (upTrees ??= await treesOf(up!));
    const lintOf = async (script: Script, role: 'up' | 'down'): Promise<FileLint> => {
      const context = lintContext(role, script.transactional, options, role === 'down' ? up?.body : undefined);
      const cached = cache.get(script.body)?.lint?.[context];
      if (isFileLint(cached) && checks.replay(cached.notNull)) return cached;
      const trees = role === 'up' ? await treesOfUp() : await treesOf(script);
      const owned = up ? ownedBy(await treesOfUp()) : noneOwned();
      const lint = lintStatements({ role, body: script.body, transactional: script.transactional, statements: trees }, owned, checks, options);
      cache.setLint(script.body, context, lint);
      return lint;
    };
    if (up) finishFile(fileOf(revision, up, 'up'), await lintOf(up, 'up'), result);
    if (down) finishFile(fileOf(revision, down, 'down'), await lintOf(down, 'down'), result);
  }
  return result;
}

function fileOf(revision: Revision, script: Script, role: 'up' | 'down'): Pick<LintFile, 'revision' | 'path' | 'text' | 'bodyOffset' | 'headerAllows'> {
  const headerAllows = (role === 'up' ? revision.up.lintAllows : revision.down.lintAllows) ?? [];
  return {
    revision: revision.id, path: script.path, bodyOffset: script.bodyOffset, headerAllows,
    // read only when a finding or an unknown rule is placed
    get text() {
      return script.text;
    },
  };
}

/** The script's statements with their syntax trees: the checks accepted it, so it parses. */
async function treesOf(script: Script): Promise<SqlStatement[]> {
  await loadSqlParser();
  const split = splitStatements(script.body);
  return split.ok ? split.statements : [];
}
