import type { Node } from 'libpg-query';
import { closest, problem, type Problem } from '../errors.js';
import { lexSql } from '../sql/lexer.js';
import { splitStatements, type SqlStatement } from '../sql/split-statements.js';
import { byteOffsetMapper, lineColumnAt, renderCodeFrame } from '../text/source-position.js';
import { skipWhitespaceAndComments } from '../text/whitespace-and-comments.js';
import type { RenameHint } from './plan-migration.js';

/**
 * The rename hints written in schema.sql: `-- strata:renamed-from <old name>` on the line above
 * the statement that declares an object (a table, index, constraint, type, view, sequence,
 * schema, function), above a column (or a named constraint) inside its CREATE TABLE, or for an
 * enum label (`-- strata:renamed-from 'old label'`) above the label inside CREATE TYPE ... AS
 * ENUM, or above the CREATE TYPE when the type has one new label. Found with the
 * project's own parser: the statements and their syntax trees, the comments outside literals.
 * Each hint says what it is above, by the names schema.sql declares; resolve-renames.ts finds the
 * objects it names. Pure (the SQL parser must be loaded).
 */

export const HINT = 'strata:renamed-from';

export interface SchemaHint {
  /** where the comment is in schema.sql */
  line: number;
  column: number;
  kind: RenameHint['kind'];
  /** the schema of the object declared below (null for a schema itself) */
  schema: string | null;
  /** a column's or constraint's table, an enum label's type */
  parent?: string;
  /** the declared (new) name: of the object, column, constraint or enum label ('' for a label: the type's one new label) */
  name: string;
  /** the old name, as the hint gives it (identifiers folded as PostgreSQL folds them) */
  from: string;
  /** a qualified old name gives the old schema (a table moved between schemas) */
  fromSchema?: string;
}

export type SchemaHintsResult = { ok: true; hints: SchemaHint[] } | { ok: false; problems: Problem[] };

export function findSchemaHints(text: string, file: string): SchemaHintsResult {
  const problems: Problem[] = [];
  const hints: SchemaHint[] = [];
  const at = (index: number, message: string, hint: string) => {
    const { line, column } = lineColumnAt(text, index);
    problems.push(problem('RENAME_HINT_INVALID', { file, line, column, message, hint, codeFrame: renderCodeFrame(text, line, column) }));
  };
  const comments = lexSql(text).lineComments.map((c) => ({ ...c, body: text.slice(c.start + 2, c.end).trim() })).filter((c) => /^strata\s*:/i.test(c.body));
  if (comments.length === 0) return { ok: true, hints };
  const split = splitStatements(text);
  // a schema.sql that does not parse is reported when it is loaded, with the server's own message
  if (!split.ok) return { ok: true, hints };
  const toUtf16 = byteOffsetMapper(text);
  for (const comment of comments) {
    const written = /^strata:renamed-from\s+(.+)$/.exec(comment.body);
    if (!written) {
      const word = /^strata\s*:\s*(\S*)/i.exec(comment.body)?.[1] ?? '';
      if (/^strata:\S/.test(comment.body) || /renam/i.test(word)) {
        const suggestion = closest(`strata:${word}`, [HINT]);
        at(comment.start, `unknown strata hint '${comment.body.split(/\s+/)[0]}'${suggestion ? `; did you mean '${HINT}'?` : ''}`, `a rename is written -- ${HINT} <old name>, on the line above the object or column`);
      }
      continue;
    }
    const target = hintTarget(text, split.statements, comment.end, toUtf16);
    if ('error' in target) {
      at(comment.start, `-- ${HINT} ${written[1]} names nothing: ${target.error}`, `put it on the line directly above the statement (or the column, or the enum label) declared under its new name`);
      continue;
    }
    const isLabel = target.kind === 'enum value' || (target.isEnum === true && written[1]!.trim().startsWith("'"));
    const old = parseName(written[1]!.trim(), isLabel);
    if (old === undefined || (old.schema !== undefined && !['table', 'view', 'sequence', 'type', 'function'].includes(target.kind))) {
      at(comment.start, `-- ${HINT} ${written[1]}: '${written[1]}' is not ${isLabel ? "a quoted label ('old')" : 'a name'} for a ${target.kind}`, isLabel ? `e.g. -- ${HINT} 'old label'` : `e.g. -- ${HINT} old_name${target.kind === 'table' ? ' (or old_schema.old_name)' : ''}`);
      continue;
    }
    const { line, column } = lineColumnAt(text, comment.start);
    const { isEnum: _, ...declared } = target;
    const of = isLabel && target.kind === 'type' ? { kind: 'enum value' as const, schema: target.schema, parent: target.name, name: '' } : declared;
    hints.push({ line, column, ...of, from: old.name, ...(old.schema !== undefined ? { fromSchema: old.schema } : {}) });
  }
  return problems.length > 0 ? { ok: false, problems } : { ok: true, hints };
}

/** `isEnum`: a CREATE TYPE ... AS ENUM, above which a quoted old label renames its one new label */
type Target = Omit<SchemaHint, 'line' | 'column' | 'from' | 'fromSchema'> & { isEnum?: boolean };

/** What the hint ending at `after` is directly above: a statement, or a column, constraint or enum label inside one. */
function hintTarget(text: string, statements: readonly SqlStatement[], after: number, toUtf16: (byte: number) => number): Target | { error: string } {
  const next = skipWhitespaceAndComments(text, after);
  const inside = statements.find((s) => s.start < after && after < s.end);
  if (inside) {
    const node = inside.ast as Record<string, any>;
    if (node.CreateStmt) {
      const table = node.CreateStmt.relation;
      for (const element of node.CreateStmt.tableElts ?? []) {
        const def = element.ColumnDef ?? element.Constraint;
        if (def?.location === undefined || toUtf16(def.location) !== next) continue;
        if (element.ColumnDef) return { kind: 'column', schema: table.schemaname ?? 'public', parent: table.relname, name: def.colname };
        if (def.conname) return { kind: 'constraint', schema: table.schemaname ?? 'public', parent: table.relname, name: def.conname };
      }
      return { error: 'inside CREATE TABLE, a hint goes on the line above a column or a named constraint' };
    }
    if (node.CreateEnumStmt && text.charCodeAt(next) === 0x27) {
      const label = parseName(text.slice(next, quotedEnd(text, next)), true);
      const [schema, type] = qualifiedOf(node.CreateEnumStmt.typeName);
      if (label) return { kind: 'enum value', schema, parent: type, name: label.name };
    }
    return { error: `it is inside ${inside.label}, not above a column, a named constraint or an enum label` };
  }
  const statement = statements.find((s) => s.start === next);
  if (!statement) return { error: 'no statement follows it' };
  return statementTarget(statement) ?? { error: `it is above ${statement.label}, which declares nothing strata renames` };
}

function statementTarget(statement: SqlStatement): Target | undefined {
  const node = statement.ast as Record<string, any>;
  const relation = (r: { schemaname?: string; relname: string }) => ({ schema: r.schemaname ?? 'public', name: r.relname });
  if (node.CreateStmt) return { kind: 'table', ...relation(node.CreateStmt.relation) };
  if (node.IndexStmt?.idxname) return { kind: 'index', schema: node.IndexStmt.relation.schemaname ?? 'public', name: node.IndexStmt.idxname };
  if (node.ViewStmt) return { kind: 'view', ...relation(node.ViewStmt.view) };
  if (node.CreateTableAsStmt?.objtype === 'OBJECT_MATVIEW') return { kind: 'view', ...relation(node.CreateTableAsStmt.into.rel) };
  if (node.CreateSeqStmt) return { kind: 'sequence', ...relation(node.CreateSeqStmt.sequence) };
  if (node.CompositeTypeStmt) return { kind: 'type', ...relation(node.CompositeTypeStmt.typevar) };
  if (node.CreateSchemaStmt) return { kind: 'schema', schema: null, name: node.CreateSchemaStmt.schemaname };
  const named = node.CreateEnumStmt?.typeName ?? node.CreateRangeStmt?.typeName ?? node.CreateDomainStmt?.domainname;
  if (named) {
    const [schema, name] = qualifiedOf(named);
    return { kind: 'type', schema, name, ...(node.CreateEnumStmt ? { isEnum: true } : {}) };
  }
  if (node.CreateFunctionStmt) {
    const [schema, name] = qualifiedOf(node.CreateFunctionStmt.funcname);
    return { kind: 'function', schema, name };
  }
  const alter = node.AlterTableStmt;
  const command = alter?.cmds?.length === 1 ? alter.cmds[0].AlterTableCmd : undefined;
  if (alter?.objtype === 'OBJECT_TABLE' && command?.subtype === 'AT_AddConstraint' && command.def?.Constraint?.conname) {
    return { kind: 'constraint', schema: alter.relation.schemaname ?? 'public', parent: alter.relation.relname, name: command.def.Constraint.conname };
  }
  return undefined;
}

/**
 * Where schema.sql declares what: `<kind> <schema>.<name>` (a column's and a constraint's with
 * their table: `column public.orders.note`), names unquoted, to the 1-based line of its statement
 * (of its line inside CREATE TABLE). What a refusal names is shown at its place.
 */
export function declarationLines(text: string): Map<string, number> {
  const lines = new Map<string, number>();
  const split = splitStatements(text);
  if (!split.ok) return lines;
  const toUtf16 = byteOffsetMapper(text);
  const key = (t: Target) => `${t.kind} ${[t.schema, t.parent, t.name].filter((p) => p !== null && p !== undefined).join('.')}`;
  for (const statement of split.statements) {
    const target = statementTarget(statement);
    if (!target) continue;
    lines.set(key(target), lineColumnAt(text, statement.start).line);
    const create = (statement.ast as Record<string, any>).CreateStmt;
    for (const element of create?.tableElts ?? []) {
      const column = element.ColumnDef;
      if (column?.location !== undefined) lines.set(key({ kind: 'column', schema: target.schema, parent: target.name, name: column.colname }), lineColumnAt(text, toUtf16(column.location)).line);
    }
  }
  return lines;
}

function qualifiedOf(names: Node[]): [string, string] {
  const parts = names.map((n) => (n as { String: { sval: string } }).String.sval);
  return parts.length === 1 ? ['public', parts[0]!] : [parts.at(-2)!, parts.at(-1)!];
}

/**
 * `old_name`, `"Old Name"`, `old_schema.old_name` (identifiers, folded to lower case unless
 * quoted), or for a label `'old label'`; undefined for anything else.
 */
export function parseName(written: string, isLabel = false): { schema?: string; name: string } | undefined {
  if (isLabel) {
    const label = /^'((?:[^']|'')*)'$/.exec(written);
    return label ? { name: label[1]!.replace(/''/g, "'") } : undefined;
  }
  const parts: string[] = [];
  const identifier = /\s*(?:"((?:[^"]|"")+)"|([A-Za-z_\u0080-\uffff][\w$\u0080-\uffff]*))\s*(\.|$)/y;
  let match: RegExpExecArray | null;
  while (identifier.lastIndex < written.length && (match = identifier.exec(written))) {
    parts.push(match[1] !== undefined ? match[1].replace(/""/g, '"') : match[2]!.toLowerCase());
    if (match[3] === '') break;
  }
  if (identifier.lastIndex !== written.length || parts.length === 0 || parts.length > 2) return undefined;
  return parts.length === 2 ? { schema: parts[0]!, name: parts[1]! } : { name: parts[0]! };
}

function quotedEnd(text: string, open: number): number {
  let j = open + 1;
  while (j < text.length) {
    if (text.charCodeAt(j) === 0x27) {
      if (text.charCodeAt(j + 1) === 0x27) j += 2;
      else return j + 1;
    } else j += 1;
  }
  return text.length;
}
