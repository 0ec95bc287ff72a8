import type { UnmodelledObject } from '../model/snapshot.js';
import type { CatalogObject } from './catalog-family.js';
import { splitQualified } from '../model/qualified-name.js';

export { splitQualified };

/**
 * COMMENT ON anything the families read: one generic pass over pg_description, each comment
 * resolved through the objects' catalog refs to the object it is on (kind 'comment', identity
 * `comment on <object identity>`, parent that object; each family lists an object's own catalog
 * address first in its refs). A comment on a part the snapshot holds inside another object is
 * listed as unmodelled, not dropped.
 */
export function commentObjects(
  objects: readonly CatalogObject[],
  comments: ReadonlyArray<[string, number, number, string]>,
  resolveExact: (catalog: string, oid: number, subid: number) => string | undefined,
): { objects: CatalogObject[]; unmodelled: UnmodelledObject[] } {
  const byIdentity = new Map(objects.map((o) => [o.identity, o]));
  const found: CatalogObject[] = [];
  const unmodelled: UnmodelledObject[] = [];
  for (const [catalog, oid, subid, text] of comments) {
    const identity = resolveExact(catalog, oid, subid);
    const target = identity === undefined ? undefined : byIdentity.get(identity);
    if (!target) {
      // on an object of a kind the snapshot does not read (a cast ...), or one it leaves out (an extension's)
      continue;
    }
    // a comment on a part the snapshot holds inside another object (a composite type's attribute, a
    // domain's constraint) resolves to that object: its own address is its first ref
    if (target.refs[0] !== `${catalog}:${oid}:${subid}`) {
      unmodelled.push({ kind: 'comment', identity: `comment on a part of ${target.identity} (${catalog} ${subid === 0 ? 'object' : `column ${subid}`})` });
      continue;
    }
    // the default comment of the schema every database has
    if (target.identity === 'schema public' && text === 'standard public schema') continue;
    const clause = commentTarget(target);
    if (clause === undefined) {
      unmodelled.push({ kind: 'comment', identity: `comment on ${target.identity}` });
      continue;
    }
    found.push({
      kind: 'comment', identity: `comment on ${target.identity}`, schema: target.schema, name: target.name, parent: target.identity,
      dependsOn: [target.identity], attributes: { text }, create: `comment on ${clause} is ${literal(text)};`, refs: [],
    });
  }
  return { objects: found, unmodelled };
}

/** How COMMENT ON names the object, from its identity (`constraint public.t.c` -> `constraint c on public.t`). */
function commentTarget(object: CatalogObject): string | undefined {
  const qualified = object.identity.slice(object.kind.length + 1);
  switch (object.kind) {
    case 'constraint':
    case 'trigger':
    case 'policy':
    case 'rule': {
      const parts = splitQualified(qualified);
      const name = parts.pop()!;
      return `${object.kind} ${name} on ${parts.join('.')}`;
    }
    case 'aggregate': {
      // COMMENT ON AGGREGATE takes the aggregate's own signature: `*` for none, ORDER BY for an ordered-set one
      const args = typeof object.attributes.arguments === 'string' ? object.attributes.arguments : '';
      return `aggregate ${qualified.slice(0, qualified.indexOf('('))}(${args === '' ? '*' : args})`;
    }
    case 'foreign-data wrapper':
      return `foreign data wrapper ${qualified}`;
    case 'user mapping':
    case 'sequence owned by':
    case 'comment':
    case 'privileges':
    case 'default privileges':
      return undefined;
    default:
      return `${object.kind} ${qualified}`;
  }
}


function literal(text: string): string {
  return `'${text.replace(/'/g, "''")}'`;
}
