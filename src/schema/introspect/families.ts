import type { CatalogFamily } from './catalog-family.js';
import { NAMESPACES_AND_TYPES } from './namespaces-and-types.js';

/** Every family a snapshot reads, one file of introspect/ each. */
export const CATALOG_FAMILIES: readonly CatalogFamily[] = [NAMESPACES_AND_TYPES];
