import { createDatabase, dropDatabase, dropOwnedBy, dropRoles, existingRoles, pristineCensus, resetDatabase, type StateContext } from './conformance-state.js';
import { rolesCreatedBy } from './conformance-tally.js';

/** One piece of work of the conformance runner: a state, or a directional case. */
export interface Job<R> {
  /** the SQL it loads, for the roles it creates */
  sql: string;
  judge(context: StateContext): Promise<R>;
  /** what a judge that throws comes to */
  crashed(error: Error): R;
}

export interface PoolReport<R> {
  results: R[];
  /** why a database had to be made anew between jobs */
  recreated: string[];
  /** roles that could not be dropped after the job that made them */
  leftRoles: string[];
}

/**
 * Runs the jobs on `workers` workers, each with two databases of its own, emptied after every job
 * (made anew when emptying does not give a new database's census back). Roles are cluster-wide:
 * jobs that create roles run one at a time, never beside another such job, and the roles they
 * made are dropped after. `queue` may be emptied from outside (Ctrl-C): the jobs under way finish.
 */
export async function runPool<R>(queue: Array<Job<R>>, options: { adminUrl: string; workers: number; privileges: boolean; tag: string }, onResult: (result: R) => void): Promise<PoolReport<R>> {
  const report: PoolReport<R> = { results: [], recreated: [], leftRoles: [] };
  const withRoles = oneAtATime();
  const worker = async (index: number) => {
    const context: StateContext = {
      adminUrl: options.adminUrl,
      databases: [`strata_conformance_${process.pid}_${options.tag}${index}_one`, `strata_conformance_${process.pid}_${options.tag}${index}_two`],
      privileges: options.privileges,
      statementTimeoutMs: 30_000,
    };
    const pristine = await pristineCensus(options.adminUrl, context.databases[0]);
    await createDatabase(options.adminUrl, context.databases[1]);
    const reset = async () => {
      for (const name of context.databases) {
        const reset = await resetDatabase(options.adminUrl, name, pristine);
        if (reset.recreated) report.recreated.push(reset.why);
      }
    };
    try {
      for (let job = queue.shift(); job; job = queue.shift()) {
        const current = job;
        const roles = rolesCreatedBy(current.sql);
        const result = await (roles.length === 0 ? current.judge(context).finally(reset) : withRoles(async () => {
          const before = await existingRoles(options.adminUrl, roles);
          const made = roles.filter((r) => !before.has(r));
          try {
            return await current.judge(context);
          } finally {
            await dropOwnedBy(options.adminUrl, context.databases, made);
            await reset();
            await dropRoles(options.adminUrl, made).catch((error: Error) => report.leftRoles.push(`${made.join(', ')} (${error.message})`));
          }
        })).catch((error: Error) => current.crashed(error));
        report.results.push(result);
        onResult(result);
      }
    } finally {
      for (const name of context.databases) await dropDatabase(options.adminUrl, name).catch(() => {});
    }
  };
  await Promise.all(Array.from({ length: Math.min(options.workers, queue.length) }, (_, k) => worker(k)));
  return report;
}

/** One job at a time may create roles: they are cluster-wide, and the corpus shares names between cases. */
function oneAtATime(): <T>(work: () => Promise<T>) => Promise<T> {
  let tail: Promise<unknown> = Promise.resolve();
  return (work) => {
    const run = tail.then(work, work);
    tail = run.catch(() => {});
    return run;
  };
}
