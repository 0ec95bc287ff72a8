/** Small readings of syntax trees that several rules share. */
import type { AlterTableCmd, ColumnDef, Constraint, Node, RangeVar } from 'libpg-query';
import { relationOf, type RelationName } from './relation-names.js';
import type { StatementContext } from './rule.js';

export interface AlterCommand {
  table: RangeVar;
  relation: RelationName;
  cmd: AlterTableCmd;
}

/** The subcommands of an ALTER TABLE (not ALTER INDEX/VIEW/SEQUENCE), each with its table. */
export function alterTableCommands(ast: Node): AlterCommand[] {
  if (!('AlterTableStmt' in ast)) return [];
  const s = ast.AlterTableStmt;
  if (!s.relation || (s.objtype !== undefined && s.objtype !== 'OBJECT_TABLE')) return [];
  const table = s.relation;
  return (s.cmds ?? []).flatMap((c) => ('AlterTableCmd' in c ? [{ table, relation: relationOf(table), cmd: c.AlterTableCmd }] : []));
}

/** The subcommands of `subtype` on a table that existed before the revision. */
export function onExistingTable(context: StatementContext, subtype: string): AlterCommand[] {
  return alterTableCommands(context.ast).filter((a) => a.cmd.subtype === subtype && !context.isNew(a.relation));
}

export function columnOf(cmd: AlterTableCmd): ColumnDef | undefined {
  return cmd.def && 'ColumnDef' in cmd.def ? cmd.def.ColumnDef : undefined;
}

export function constraintOfCmd(cmd: AlterTableCmd): Constraint | undefined {
  return cmd.def && 'Constraint' in cmd.def ? cmd.def.Constraint : undefined;
}

/** ADD CONSTRAINT and the constraints of ADD COLUMN, on tables that existed before the revision */
export function addedConstraints(context: StatementContext): { relation: RelationName; constraint: Constraint; location: number | undefined }[] {
  return alterTableCommands(context.ast).filter((a) => !context.isNew(a.relation)).flatMap((a) => {
    if (a.cmd.subtype === 'AT_AddConstraint') {
      const constraint = constraintOfCmd(a.cmd);
      return constraint ? [{ relation: a.relation, constraint, location: constraint.location }] : [];
    }
    if (a.cmd.subtype === 'AT_AddColumn') {
      return (columnOf(a.cmd)?.constraints ?? []).flatMap((c) => ('Constraint' in c ? [{ relation: a.relation, constraint: c.Constraint, location: c.Constraint.location }] : []));
    }
    return [];
  });
}

export function stringsOf(nodes: readonly Node[] | undefined): string[] {
  return (nodes ?? []).map((n) => ('String' in n ? n.String.sval ?? '' : ''));
}

/** A DML statement that changes rows of a table that existed before the revision, and which table. */
export function changesExistingRows(context: Pick<StatementContext, 'isNew'>, ast: Node): RelationName | undefined {
  const target = 'UpdateStmt' in ast ? ast.UpdateStmt.relation : 'DeleteStmt' in ast ? ast.DeleteStmt.relation : 'MergeStmt' in ast ? ast.MergeStmt.relation
    : 'InsertStmt' in ast && ast.InsertStmt.selectStmt && 'SelectStmt' in ast.InsertStmt.selectStmt && !ast.InsertStmt.selectStmt.SelectStmt.valuesLists ? ast.InsertStmt.relation : undefined;
  if (!target) return undefined;
  const relation = relationOf(target);
  return context.isNew(relation) ? undefined : relation;
}

/**
 * The statement and the data-modifying statements of its WITH clauses, nested ones too
 * (`with gone as (delete from t returning id) select count(*) from gone` deletes every row of t).
 */
export function statementsWithCtes(ast: Node): Node[] {
  const found: Node[] = [ast];
  const inner = Object.values(ast)[0] as { withClause?: { ctes?: Node[] } } | undefined;
  for (const cte of inner?.withClause?.ctes ?? []) {
    const query = 'CommonTableExpr' in cte ? cte.CommonTableExpr.ctequery : undefined;
    if (query) found.push(...statementsWithCtes(query));
  }
  return found;
}

export const isDml = (ast: Node): boolean => 'UpdateStmt' in ast || 'DeleteStmt' in ast || 'InsertStmt' in ast || 'MergeStmt' in ast || 'SelectStmt' in ast;
