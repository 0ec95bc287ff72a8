/**
 * CHECK (column IS NOT NULL) constraints seen in the linted revisions, and whether each is validated:
 * SET NOT NULL skips its table scan when such a check is valid (PostgreSQL 12+), which is the safe
 * way to make a column of a large table NOT NULL.
 *
 * The one state the rules carry from one revision to the next. What a file adds to it and what the
 * rules asked of it are facts in plain data (NotNullFact), recorded while the file is linted, so
 * that a file linted by an earlier run (lint-cache.ts) is replayed from its facts without a parse:
 * its findings stand only if every answer it was given is still the answer.
 */
import type { Node } from 'libpg-query';
import { alterTableCommands, constraintOfCmd, stringsOf } from './ast-helpers.js';
import { isSameRelation, type RelationName } from './relation-names.js';

export type NotNullFact =
  /** ALTER TABLE ... ADD CONSTRAINT name CHECK (column IS NOT NULL) [NOT VALID] */
  | { kind: 'check'; relation: RelationName; column: string; name?: string | undefined; isValidated: boolean }
  /** ALTER TABLE ... VALIDATE CONSTRAINT name */
  | { kind: 'validate'; relation: RelationName; name?: string | undefined }
  /** a rule asked whether (relation, column) has a validated check, and was told `answer` */
  | { kind: 'asked'; relation: RelationName; column: string; answer: boolean };

interface NotNullCheck {
  relation: RelationName;
  column: string;
  name: string | undefined;
  isValidated: boolean;
}

export class NotNullChecks {
  private checks: NotNullCheck[] = [];
  private log: NotNullFact[] | undefined;

  /** starts recording the facts of one file (returned by endFile) */
  startFile(): void {
    this.log = [];
  }

  endFile(): NotNullFact[] {
    const log = this.log ?? [];
    this.log = undefined;
    return log;
  }

  observe(ast: Node): void {
    for (const fact of factsOf(ast)) {
      this.log?.push(fact);
      this.apply(fact);
    }
  }

  isValidated(relation: RelationName, column: string): boolean {
    const answer = this.answer(relation, column);
    this.log?.push({ kind: 'asked', relation, column, answer });
    return answer;
  }

  /** Applies a file's recorded facts; false, with nothing changed, when a question would now be answered otherwise. */
  replay(facts: readonly NotNullFact[]): boolean {
    const saved = this.checks.map((c) => ({ ...c }));
    for (const fact of facts) {
      if (fact.kind !== 'asked') this.apply(fact);
      else if (this.answer(fact.relation, fact.column) !== fact.answer) {
        this.checks = saved;
        return false;
      }
    }
    return true;
  }

  private answer(relation: RelationName, column: string): boolean {
    return this.checks.some((c) => c.isValidated && c.column === column && isSameRelation(c.relation, relation));
  }

  private apply(fact: NotNullFact): void {
    if (fact.kind === 'check') this.checks.push({ relation: fact.relation, column: fact.column, name: fact.name, isValidated: fact.isValidated });
    else if (fact.kind === 'validate') {
      for (const check of this.checks) if (check.name === fact.name && isSameRelation(check.relation, fact.relation)) check.isValidated = true;
    }
  }
}

function factsOf(ast: Node): NotNullFact[] {
  const facts: NotNullFact[] = [];
  for (const { relation, cmd } of alterTableCommands(ast)) {
    if (cmd.subtype === 'AT_AddConstraint') {
      const constraint = constraintOfCmd(cmd);
      const test = constraint?.contype === 'CONSTR_CHECK' ? constraint.raw_expr : undefined;
      if (!test || !('NullTest' in test) || test.NullTest.nulltesttype !== 'IS_NOT_NULL') continue;
      const arg = test.NullTest.arg;
      const column = arg && 'ColumnRef' in arg ? stringsOf(arg.ColumnRef.fields).at(-1) : undefined;
      if (column) facts.push({ kind: 'check', relation, column, name: constraint?.conname, isValidated: constraint?.skip_validation !== true });
    } else if (cmd.subtype === 'AT_ValidateConstraint') {
      facts.push({ kind: 'validate', relation, name: cmd.name });
    }
  }
  return facts;
}

const isRelation = (v: unknown): v is RelationName => {
  const r = v as RelationName | undefined;
  return typeof r === 'object' && r !== null && typeof r.name === 'string' && (r.schema === undefined || typeof r.schema === 'string');
};

/** A fact as read back from a cache file. */
export function isNotNullFact(v: unknown): v is NotNullFact {
  const f = v as NotNullFact | undefined;
  if (typeof f !== 'object' || f === null || !isRelation(f.relation)) return false;
  const name = (f as { name?: unknown }).name;
  if (f.kind === 'check') return typeof f.column === 'string' && typeof f.isValidated === 'boolean' && (name === undefined || typeof name === 'string');
  if (f.kind === 'validate') return name === undefined || typeof name === 'string';
  return f.kind === 'asked' && typeof f.column === 'string' && typeof f.answer === 'boolean';
}
