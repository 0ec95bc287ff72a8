import { existsSync } from 'node:fs';
import path from 'node:path';
import { openPglite } from '../../src/db/pglite-database.js';
import { createTestDatabase, runCli, type CliResult, type makeProject } from './harness.js';

/**
 * The two databases strata runs on, for tests that run one scenario on each (as Kysely's suite
 * runs per dialect): a PostgreSQL database of the test file's own, and the embedded PGlite
 * database a project without DATABASE_URL gets.
 */
export type AdapterName = 'postgres' | 'pglite';

type Project = ReturnType<typeof makeProject>;
export type Query = <R = Record<string, unknown>>(text: string, values?: unknown[]) => Promise<R[]>;

export interface AdapterTarget {
  readonly name: AdapterName;
  /** a project of this target's own: the embedded database lives in the project's .strata/ */
  readonly project: Project;
  /** the CLI's environment for this database: DATABASE_URL, or none for the embedded default */
  readonly env: Record<string, string | undefined>;
  /** how strata names this database: the "strata: ..." line, status --json's database */
  readonly label: string;
  /** the CLI, run in the project on this database */
  run(...args: string[]): Promise<CliResult>;
  /**
   * Queries on the database between CLI runs. PGlite's data directory is opened for `use` and
   * closed after it (one open costs about 0.4 s, so batch the queries); no CLI may run meanwhile.
   */
  inspect<T>(use: (query: Query) => Promise<T>): Promise<T>;
  /** removes the project, and drops the PostgreSQL database */
  remove(): Promise<void>;
}

/** The embedded database's folder in a project, as the CLI makes it. */
const PGLITE_DIR = path.join('.strata', 'pglite');
const PGLITE_LABEL = 'embedded PGlite database in .strata/pglite (set DATABASE_URL to use a server)';

/**
 * Both targets, each with a project made by `newProject`. Without a reachable PostgreSQL server
 * (outside CI) the list holds PGlite alone; createTestDatabase says why. PGlite's template comes
 * from STRATA_CACHE_DIR, shared by the suite (test/run.js), so no target pays for initdb.
 */
export async function adapterTargets(prefix: string, newProject: () => Project): Promise<AdapterTarget[]> {
  const targets: AdapterTarget[] = [];
  const db = await createTestDatabase(prefix);
  if (db) {
    const project = newProject();
    const env = { DATABASE_URL: db.url };
    targets.push({
      name: 'postgres',
      project,
      env,
      label: db.url,
      run: (...args) => runCli(args, { cwd: project.dir, env }),
      inspect: (use) => use(db.query),
      remove: async () => {
        project.remove();
        await db.drop();
      },
    });
  }
  const project = newProject();
  // DATABASE_URL unset (runCli clears it): the embedded default
  const env = {};
  targets.push({
    name: 'pglite',
    project,
    env,
    label: PGLITE_LABEL,
    run: (...args) => runCli(args, { cwd: project.dir, env }),
    inspect: async (use) => {
      const dataDir = path.join(project.dir, PGLITE_DIR);
      // openPglite would make a database where there is none: the CLI must have made it
      if (!existsSync(dataDir)) throw new Error(`no embedded database in ${project.dir} yet: run the CLI first`);
      const database = await openPglite(dataDir);
      try {
        return await use((text, values) => database.query(text, values));
      } finally {
        await database.close();
      }
    },
    remove: async () => project.remove(),
  });
  return targets;
}
