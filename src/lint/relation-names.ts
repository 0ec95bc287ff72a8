/**
 * Relation names as the parser gives them (unquoted identifiers already folded to lower case), and
 * the set of relations a revision has created so far. A statement that names `users` and one that
 * names `public.users` are taken to mean the same relation: strata lints files, not a database, so it
 * cannot resolve a search_path; an unqualified name matches a qualified one with the same name.
 */
import type { Node, RangeVar } from 'libpg-query';

export interface RelationName {
  /** absent when the statement does not qualify the name */
  schema?: string;
  name: string;
}

export function relationOf(range: RangeVar): RelationName {
  return range.schemaname ? { schema: range.schemaname, name: range.relname ?? '' } : { name: range.relname ?? '' };
}

/** `schema.name`, or `name` when unqualified (quoted only where a reader would need it) */
export function formatRelation(relation: RelationName): string {
  const quote = (part: string) => (/^[a-z_][a-z0-9_$]*$/.test(part) ? part : `"${part.replace(/"/g, '""')}"`);
  return relation.schema ? `${quote(relation.schema)}.${quote(relation.name)}` : quote(relation.name);
}

export function isSameRelation(a: RelationName, b: RelationName): boolean {
  return a.name === b.name && (a.schema === undefined || b.schema === undefined || a.schema === b.schema);
}

/** The relations created earlier in the same revision: "new" to the rules, which may treat them freely. */
export class RelationSet {
  private readonly relations: RelationName[] = [];

  constructor(initial: readonly RelationName[] = []) {
    this.relations.push(...initial);
  }

  add(relation: RelationName): void {
    if (!this.has(relation)) this.relations.push(relation);
  }

  /** forget a relation the revision dropped (a later statement naming it again means another one) */
  delete(relation: RelationName): void {
    const index = this.relations.findIndex((r) => isSameRelation(r, relation));
    if (index !== -1) this.relations.splice(index, 1);
  }

  has(relation: RelationName): boolean {
    return this.relations.some((r) => isSameRelation(r, relation));
  }

  get size(): number {
    return this.relations.length;
  }
}

/** A qualified name given as a list of String nodes (DROP INDEX s.i, COMMENT ON COLUMN t.c): the last `skip` parts are not the relation. */
export function relationOfNameList(items: readonly Node[] | undefined, skip = 0): RelationName | undefined {
  const parts = (items ?? []).map((item) => ('String' in item ? item.String.sval ?? '' : undefined));
  if (parts.some((p) => p === undefined)) return undefined;
  const names = parts.slice(0, parts.length - skip) as string[];
  if (names.length === 1) return { name: names[0]! };
  if (names.length === 2) return { schema: names[0]!, name: names[1]! };
  if (names.length === 3) return { schema: names[1]!, name: names[2]! }; // database.schema.name
  return undefined;
}

/** The items of a `{ List: { items } }` node, or the node list itself. */
export function listItems(node: Node | undefined): Node[] {
  if (!node) return [];
  return 'List' in node ? node.List.items ?? [] : [node];
}

/**
 * Every relation `node` names (each RangeVar under it: for a query, what it reads), without the names its own WITH
 * clauses define. A CTE name that shadows a table in the same query is rare; it is taken as the CTE.
 */
export function relationsRead(node: unknown): RelationName[] {
  const found: RelationName[] = [];
  const cteNames = new Set<string>();
  const visit = (value: unknown): void => {
    if (Array.isArray(value)) {
      for (const item of value) visit(item);
      return;
    }
    if (value === null || typeof value !== 'object') return;
    for (const [key, child] of Object.entries(value)) {
      if (key === 'CommonTableExpr' && child && typeof child === 'object' && 'ctename' in child) cteNames.add(String((child as { ctename: string }).ctename));
      if (key === 'RangeVar' && child && typeof child === 'object') {
        found.push(relationOf(child as RangeVar));
        continue;
      }
      // a RangeVar in a field of its own (CreateStmt.relation, Constraint.pktable ...) is not wrapped in { RangeVar }
      if (child && typeof child === 'object' && !Array.isArray(child) && typeof (child as RangeVar).relname === 'string' && 'relpersistence' in child) {
        found.push(relationOf(child as RangeVar));
        continue;
      }
      visit(child);
    }
  };
  visit(node);
  const unique: RelationName[] = [];
  for (const relation of found) {
    if (relation.schema === undefined && cteNames.has(relation.name)) continue;
    if (!unique.some((u) => u.name === relation.name && u.schema === relation.schema)) unique.push(relation);
  }
  return unique;
}
