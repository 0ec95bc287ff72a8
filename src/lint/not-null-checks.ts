/**
 * CHECK (column IS NOT NULL) constraints seen in the linted revisions, and whether each is validated:
 * SET NOT NULL skips its table scan when such a check is valid (PostgreSQL 12+), which is the safe
 * way to make a column of a large table NOT NULL.
 */
import type { Node } from 'libpg-query';
import { alterTableCommands, constraintOfCmd, stringsOf } from './ast-helpers.js';
import { isSameRelation, type RelationName } from './relation-names.js';

interface NotNullCheck {
  relation: RelationName;
  column: string;
  name: string | undefined;
  isValidated: boolean;
}

export class NotNullChecks {
  private readonly checks: NotNullCheck[] = [];

  observe(ast: Node): void {
    for (const { relation, cmd } of alterTableCommands(ast)) {
      if (cmd.subtype === 'AT_AddConstraint') {
        const constraint = constraintOfCmd(cmd);
        const test = constraint?.contype === 'CONSTR_CHECK' ? constraint.raw_expr : undefined;
        if (!test || !('NullTest' in test) || test.NullTest.nulltesttype !== 'IS_NOT_NULL') continue;
        const arg = test.NullTest.arg;
        const column = arg && 'ColumnRef' in arg ? stringsOf(arg.ColumnRef.fields).at(-1) : undefined;
        if (column) this.checks.push({ relation, column, name: constraint?.conname, isValidated: constraint?.skip_validation !== true });
      } else if (cmd.subtype === 'AT_ValidateConstraint') {
        for (const check of this.checks) if (check.name === cmd.name && isSameRelation(check.relation, relation)) check.isValidated = true;
      }
    }
  }

  isValidated(relation: RelationName, column: string): boolean {
    return this.checks.some((c) => c.isValidated && c.column === column && isSameRelation(c.relation, relation));
  }
}
