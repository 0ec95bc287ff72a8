import type { CatalogFamily } from './catalog-family.js';
import { CONSTRAINTS_AND_INDEXES } from './constraints-and-indexes.js';
import { FOREIGN_DATA } from './foreign-data.js';
import { FOREIGN_TABLES } from './foreign-tables.js';
import { NAMESPACES_AND_TYPES } from './namespaces-and-types.js';
import { PRIVILEGES } from './privileges.js';
import { PUBLICATIONS } from './publications.js';
import { SUBSCRIPTIONS } from './subscriptions.js';
import { ROUTINES } from './routines.js';
import { TABLES } from './tables.js';
import { TRIGGERS_RULES_POLICIES } from './triggers-rules-policies.js';
import { VIEWS } from './views.js';

/** Every family a snapshot reads, one file of introspect/ each. */
export const CATALOG_FAMILIES: readonly CatalogFamily[] = [NAMESPACES_AND_TYPES, TABLES, CONSTRAINTS_AND_INDEXES, VIEWS, ROUTINES, TRIGGERS_RULES_POLICIES, PRIVILEGES, FOREIGN_DATA, FOREIGN_TABLES, PUBLICATIONS, SUBSCRIPTIONS];
