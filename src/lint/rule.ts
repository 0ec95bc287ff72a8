/**
 * What a lint rule is: a stable id, a severity, the lock it is about, why it hurts, the safe
 * rewrite, a bad and a good example (the unit test runs both, and docs/lint.md shows them), and a
 * check over one statement in its context (lint-files.ts builds the context).
 */
import type { Node } from 'libpg-query';
import type { SqlStatement } from '../sql/split-statements.js';
import type { StatementLocks } from './lock-levels.js';
import type { RelationName } from './relation-names.js';

export type Severity = 'error' | 'warning';

export interface RuleExample {
  /** a whole up.sql body */
  sql: string;
  /** the revision's Transaction mode; absent: the example holds in both modes (the test runs both) */
  transactional?: boolean;
  /** other rules the bad example fires too (kept few: examples qualify names and set lock_timeout) */
  alsoFires?: string[];
}

export interface LintRule {
  id: string;
  severity: Severity;
  /** the lock the statement takes, in words (e.g. 'SHARE on the table: writes wait for the whole build') */
  lock: string;
  why: string;
  /** the safe rewrite */
  fix: string;
  bad: RuleExample;
  good: RuleExample;
  /** report only the first hit in a file (saying how many more): rules about a file's habits, not one statement */
  oncePerFile?: boolean;
  check(statement: StatementContext): Hit[];
}

export interface Hit {
  message: string;
  /** where to point: a parser location (UTF-8 byte offset into the body); absent: the statement's first token */
  location?: number | undefined;
}

/** A statement seen earlier in the same transaction, with its locks. */
export interface EarlierStatement {
  ast: Node;
  locks: StatementLocks;
}

export interface StatementContext {
  statement: SqlStatement;
  ast: Node;
  locks: StatementLocks;
  role: 'up' | 'down';
  /** the revision's Transaction mode */
  transactional: boolean;
  /** inside a transaction: a transactional revision, or an explicit BEGIN block of a Transaction: off one */
  inTransactionBlock: boolean;
  /** created earlier in this file: new, empty, nobody waiting on it */
  isNew(relation: RelationName): boolean;
  /** made by this revision's up.sql (for down.sql: dropping it is what undoing the revision means); a column when `column` is given */
  isOwned(relation: RelationName, column?: string): boolean;
  /** an index this revision's up.sql made on a table it made too (down.sql drops both: no one else uses them) */
  isIndexOfOwnedTable(index: RelationName): boolean;
  /** a SET [LOCAL] lock_timeout ran earlier in the file, or the run sets one (up --lock-timeout-ddl) */
  hasLockTimeout: boolean;
  /** a SET [LOCAL] search_path ran earlier in the file: unqualified names are what the file says they are */
  hasSearchPath: boolean;
  /** the statements before this one in the same transaction (empty outside one) */
  earlierInTransaction: readonly EarlierStatement[];
  /** a validated CHECK (column IS NOT NULL) on the table, made earlier in the linted revisions */
  hasValidatedNotNullCheck(relation: RelationName, column: string): boolean;
}

export function hit(message: string, location?: number): Hit {
  return { message, location };
}
