/**
 * Runs the rules over the statements of revision files already split and parsed (check-scripts.ts
 * keeps each statement's tree: nothing is parsed again here). Pure.
 *
 * "New" relations: those created earlier in the same file. Everything else is taken to exist in
 * production with rows in it, including relations created by an earlier revision of the same run
 * (by the time this one runs in production, they have lived there). In down.sql, what the same
 * revision's up.sql made is "owned": dropping it is what undoing the revision means, so the
 * destructive rules (drop-table, drop-column, rename-*) leave it alone; the lock rules do not.
 *
 * Accepting a finding: `--! Lint-allow: <rule> <why>` in the file's header (the whole file), or a
 * `-- strata:allow <rule>[,<rule>] [why]` comment between the statement before and this one.
 */
import { closest, problem, type Problem } from '../errors.js';
import { lexSql } from '../sql/lexer.js';
import type { SqlStatement } from '../sql/split-statements.js';
import type { VariableSetStmt } from 'libpg-query';
import { byteOffsetMapper, lineColumnAt } from '../text/source-position.js';
import type { LintAllow } from '../revision/parse-header.js';
import { alterTableCommands } from './ast-helpers.js';
import { lockLevels, relationsCreated } from './lock-levels.js';
import { isSameRelation, relationOf, RelationSet, type RelationName } from './relation-names.js';
import type { EarlierStatement, Severity, StatementContext } from './rule.js';
import { LINT_RULES, RULE_IDS } from './rules.js';
import { NotNullChecks, type NotNullFact } from './not-null-checks.js';
import { SessionSetting } from './session-settings.js';
import { statementsInDoBlock } from './do-blocks.js';

export interface LintFile {
  revision: string;
  role: 'up' | 'down';
  /** as printed: migrations/<id>/up.sql */
  path: string;
  text: string;
  body: string;
  bodyOffset: number;
  transactional: boolean;
  statements: readonly SqlStatement[];
  headerAllows: readonly LintAllow[];
}

export interface LintOptions {
  /** the run sets lock_timeout itself (up --lock-timeout-ddl): lock-timeout-missing has nothing to say */
  lockTimeoutConfigured?: boolean;
}

export interface LintFinding {
  rule: string;
  severity: Severity;
  revision: string;
  file: string;
  line: number;
  column: number;
  message: string;
  /** the safe rewrite */
  hint: string;
  /** the lock the statement takes, in words */
  lock: string;
}

export interface LintResult {
  findings: LintFinding[];
  /** findings accepted by a Lint-allow header or a strata:allow comment */
  allowed: number;
  /** allows naming rules that do not exist */
  problems: Problem[];
}

const ALLOW_COMMENT = /^--\s*strata:allow\s+(\S+)/;

/** Lints each revision's files in order: up.sql, then down.sql (which sees what up.sql made as owned). */
export function lintFiles(revisions: readonly { up?: LintFile; down?: LintFile }[], options: LintOptions = {}): LintResult {
  const result: LintResult = { findings: [], allowed: 0, problems: [] };
  const checks = new NotNullChecks();
  for (const { up, down } of revisions) {
    const owned = up ? ownedBy(up.statements) : noneOwned();
    if (up) finishFile(up, lintStatements(up, owned, checks, options), result);
    if (down) finishFile(down, lintStatements(down, owned, checks, options), result);
  }
  return result;
}

/**
 * What the rules found in one file, before its header is read: plain data, a function of the
 * body, the role, the Transaction mode, the options, what up.sql owns (for down.sql) and the
 * facts `checks` holds, so that it can be kept between runs (lint-cache.ts) and finished again.
 */
export interface FileLint {
  /** in the order the rules spoke: statement by statement, rule by rule */
  hits: { rule: string; /** UTF-16 index into the body */ index: number; message: string; /** accepted by a strata:allow comment */ commentAllowed?: true }[];
  /** ids in strata:allow comments that are no rule, at the comment's start (UTF-16 index into the body) */
  unknownAllows: { rule: string; index: number }[];
  /** what the file added to, and asked of, the one state the rules carry across files */
  notNull: NotNullFact[];
}

export interface Owned {
  relations: RelationSet;
  columns: { relation: RelationName; column: string }[];
  /** indexes up.sql created on tables it created */
  indexesOfOwnedTables: RelationSet;
}

export const noneOwned = (): Owned => ({ relations: new RelationSet(), columns: [], indexesOfOwnedTables: new RelationSet() });

/** What up.sql makes: relations it creates and columns it adds (or renames to). */
export function ownedBy(statements: readonly SqlStatement[]): Owned {
  const owned = noneOwned();
  for (const { ast } of statements) {
    if ('IndexStmt' in ast && ast.IndexStmt.relation && owned.relations.has(relationOf(ast.IndexStmt.relation))) {
      for (const index of relationsCreated(ast)) owned.indexesOfOwnedTables.add(index);
    }
    for (const relation of relationsCreated(ast)) owned.relations.add(relation);
    for (const a of alterTableCommands(ast)) {
      const column = a.cmd.def && 'ColumnDef' in a.cmd.def ? a.cmd.def.ColumnDef.colname : undefined;
      if (a.cmd.subtype === 'AT_AddColumn' && column) owned.columns.push({ relation: a.relation, column });
    }
    if ('RenameStmt' in ast && ast.RenameStmt.relation && ast.RenameStmt.newname) {
      const relation = { ...(ast.RenameStmt.relation.schemaname ? { schema: ast.RenameStmt.relation.schemaname } : {}), name: ast.RenameStmt.relation.relname ?? '' };
      if (ast.RenameStmt.renameType === 'OBJECT_COLUMN') owned.columns.push({ relation, column: ast.RenameStmt.newname });
      else owned.relations.add({ ...(relation.schema ? { schema: relation.schema } : {}), name: ast.RenameStmt.newname });
    }
  }
  return owned;
}

/** Runs the rules over one file's statements (with their trees). */
export function lintStatements(file: Pick<LintFile, 'role' | 'body' | 'transactional' | 'statements'>, owned: Owned, checks: NotNullChecks, options: LintOptions): FileLint {
  const lint: FileLint = { hits: [], unknownAllows: [], notNull: [] };
  const comments = file.body.includes('strata:allow') ? lexSql(file.body).lineComments : [];
  const toUtf16 = byteOffsetMapper(file.body);
  const created = new RelationSet();
  const lockTimeout = new SessionSetting(false);
  const searchPath = new SessionSetting(false);
  let inBlock = file.transactional;
  let earlier: EarlierStatement[] = [];
  let previousEnd = 0;
  const commentsAllowing = (statement: SqlStatement): Set<string> => {
    const allowed = new Set<string>();
    for (const comment of comments) {
      if (comment.start < previousEnd || comment.start >= statement.start) continue;
      const match = ALLOW_COMMENT.exec(file.body.slice(comment.start, comment.end));
      if (!match) continue;
      for (const id of match[1]!.split(',').filter((r) => r !== '')) {
        if (RULE_IDS.includes(id)) allowed.add(id);
        else lint.unknownAllows.push({ rule: id, index: comment.start });
      }
    }
    previousEnd = statement.end;
    return allowed;
  };
  checks.startFile();
  // a DO block's statements are checked after it, accepted by the strata:allow comments above the block
  const inDoBlock = new Set<SqlStatement>();
  const statements = file.statements.flatMap((statement) => {
    const inner = statementsInDoBlock(file.body, statement);
    for (const s of inner) inDoBlock.add(s);
    return [statement, ...inner];
  });
  let commentAllowed = new Set<string>();
  for (const statement of statements) {
    if (!inDoBlock.has(statement)) commentAllowed = commentsAllowing(statement);
    const { ast } = statement;
    const control = statement.transaction?.kind;
    if (!file.transactional && control === 'begin') {
      inBlock = true;
      earlier = [];
      lockTimeout.blockStarted();
      searchPath.blockStarted();
    }
    const locks = lockLevels(ast, created);
    const context: StatementContext = {
      statement, ast, locks, role: file.role, transactional: file.transactional,
      // a DO block runs in one transaction, even in a Transaction: off revision
      inTransactionBlock: inBlock || inDoBlock.has(statement),
      isNew: (relation) => created.has(relation),
      isOwned: (relation, column) => (column === undefined ? owned.relations.has(relation) : owned.relations.has(relation) || owned.columns.some((c) => c.column === column && isSameRelation(c.relation, relation))),
      isIndexOfOwnedTable: (index) => owned.indexesOfOwnedTables.has(index),
      hasLockTimeout: options.lockTimeoutConfigured === true || lockTimeout.inEffect,
      hasSearchPath: searchPath.inEffect,
      earlierInTransaction: inBlock ? earlier : [],
      hasValidatedNotNullCheck: (relation, column) => checks.isValidated(relation, column),
    };
    for (const rule of LINT_RULES) {
      for (const found of rule.check(context)) {
        const index = found.location === undefined ? statement.start : toUtf16(found.location);
        lint.hits.push({ rule: rule.id, index, message: found.message, ...(commentAllowed.has(rule.id) ? { commentAllowed: true as const } : {}) });
      }
    }
    for (const relation of relationsCreated(ast)) created.add(relation);
    checks.observe(ast);
    if ('VariableSetStmt' in ast) observeSet(ast.VariableSetStmt, inBlock, { lock_timeout: lockTimeout, search_path: searchPath });
    if (inBlock) earlier.push({ ast, locks });
    if (!file.transactional && (control === 'commit' || control === 'rollback')) {
      // COMMIT AND CHAIN ends the block and opens the next one at once
      inBlock = statement.transaction!.chain;
      earlier = [];
      for (const setting of [lockTimeout, searchPath]) {
        setting.blockEnded(control === 'commit');
        if (inBlock) setting.blockStarted();
      }
    }
  }
  lint.notNull = checks.endFile();
  return lint;
}

/** Follows a SET, SET LOCAL or RESET of the settings lint cares about (RESET ALL resets them all). */
function observeSet(set: VariableSetStmt, inBlock: boolean, settings: Record<'lock_timeout' | 'search_path', SessionSetting>): void {
  if (set.kind === 'VAR_RESET_ALL') {
    for (const setting of Object.values(settings)) setting.set(false, set.is_local === true, inBlock);
    return;
  }
  if (set.name !== 'lock_timeout' && set.name !== 'search_path') return;
  let on = set.kind === 'VAR_SET_VALUE';
  if (on && set.name === 'lock_timeout') {
    const value = set.args?.[0];
    // `= 0` turns the timeout off (the parser leaves a zero ival out)
    on = !(value !== undefined && 'A_Const' in value && ((value.A_Const.ival !== undefined && !value.A_Const.ival.ival) || value.A_Const.sval?.sval === '0'));
  }
  settings[set.name].set(on, set.is_local === true, inBlock);
}

/** A file's findings from what the rules found in it: its header's Lint-allow, the strata:allow comments, once-per-file rules, positions. */
export function finishFile(file: Pick<LintFile, 'revision' | 'path' | 'text' | 'bodyOffset' | 'headerAllows'>, lint: FileLint, result: LintResult): void {
  const headerAllowed = new Set<string>();
  for (const allow of file.headerAllows) {
    if (knownRule(allow.rule, file.path, allow.line, 5, file.revision, result.problems)) headerAllowed.add(allow.rule);
  }
  for (const unknown of lint.unknownAllows) {
    const at = lineColumnAt(file.text, file.bodyOffset + unknown.index);
    knownRule(unknown.rule, file.path, at.line, at.column, file.revision, result.problems);
  }
  const firstOfRule = new Map<string, { finding: LintFinding; more: number }>();
  const own: LintFinding[] = [];
  for (const found of lint.hits) {
    const rule = RULES_BY_ID.get(found.rule);
    if (!rule) continue;
    if (headerAllowed.has(rule.id) || found.commentAllowed) {
      result.allowed++;
      continue;
    }
    const first = rule.oncePerFile ? firstOfRule.get(rule.id) : undefined;
    if (first) {
      first.more++;
      continue;
    }
    const finding: LintFinding = {
      rule: rule.id, severity: rule.severity, revision: file.revision, file: file.path,
      ...lineColumnAt(file.text, file.bodyOffset + found.index), message: found.message, hint: rule.fix, lock: rule.lock,
    };
    own.push(finding);
    if (rule.oncePerFile) firstOfRule.set(rule.id, { finding, more: 0 });
  }
  for (const { finding, more } of firstOfRule.values()) if (more > 0) finding.message += ` (and ${more} more in this file)`;
  // in the order of the file (several rules may speak about one statement)
  result.findings.push(...own.sort((a, b) => a.line - b.line || a.column - b.column));
}

const RULES_BY_ID = new Map(LINT_RULES.map((rule) => [rule.id, rule]));

function knownRule(id: string, file: string, line: number, column: number, revision: string, problems: Problem[]): boolean {
  if (RULE_IDS.includes(id)) return true;
  const suggestion = closest(id, RULE_IDS);
  problems.push(problem('LINT_ALLOW_UNKNOWN_RULE', {
    file, line, column, revision,
    message: `unknown lint rule '${id}'${suggestion ? `; did you mean '${suggestion}'?` : ''}`,
    hint: 'docs/lint.md lists every rule id; check the spelling',
  }));
  return false;
}
