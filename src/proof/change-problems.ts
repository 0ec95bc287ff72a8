import type { Problem } from '../errors.js';
import { describeChanges, reviewGroups, type FieldChange, type SchemaChange } from '../schema/model/diff.js';
import type { SchemaObject } from '../schema/model/snapshot.js';

/**
 * One problem per change, in review order, each carrying the group it is shown under (a table
 * with several changes, or the table of a column, an index, a trigger ...), so that the output
 * reads like a review: a line per object, grouped by table.
 */
export function changeProblems(changes: readonly SchemaChange[], phrase: { added(o: SchemaObject): Problem; removed(o: SchemaObject): Problem; changed(o: SchemaObject, fields: FieldChange[]): Problem }): Problem[] {
  const groups = reviewGroups(changes);
  return describeChanges(changes, phrase).map((p, k) => (groups[k] === undefined ? p : { ...p, group: groups[k] }));
}
