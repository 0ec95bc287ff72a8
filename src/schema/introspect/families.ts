import type { CatalogFamily } from './catalog-family.js';
import { NAMESPACES_AND_TYPES } from './namespaces-and-types.js';
import { PRIVILEGES } from './privileges.js';
import { ROUTINES } from './routines.js';
import { TRIGGERS_RULES_POLICIES } from './triggers-rules-policies.js';

/** Every family a snapshot reads, one file of introspect/ each. */
export const CATALOG_FAMILIES: readonly CatalogFamily[] = [NAMESPACES_AND_TYPES, ROUTINES, TRIGGERS_RULES_POLICIES, PRIVILEGES];
