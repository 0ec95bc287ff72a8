/**
 * Conformance on SQL nobody here wrote: every schema state of the pg-delta corpus that one shared
 * PostgreSQL cluster can load is loaded, snapshotted, written as schema.sql, and schema.sql loaded
 * into an empty database must give the same snapshot (and the same catalog census, which does not
 * go through strata's model); a state with kinds strata does not model passes only by naming them.
 * Then (conformance-transitions.ts) every directional case, A->B and B->A: strata's generator
 * writes the revision and it is proven both ways on the cluster.
 *   npm run conformance -- [--only states|transitions] [--corpus <dir>] [--filter <regex>] [--json] [--verbose] [--privileges] [--workers 2]
 * The corpus is read where it is (../shared/conformance/pg-delta by default), never copied here.
 *
 * Roles are cluster-wide. The corpus marks the states that need a cluster of their own
 * (isolatedCluster): those are not run. The others that create roles do so idempotently; they run
 * one at a time (never beside another state that creates roles), and after each the roles it
 * created that did not exist before are dropped, once its databases are gone. schema.sql does not
 * create roles (as pg_dump without its globals), so the copy finds them still there.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { judgeState, withClient } from './conformance-state.js';
import { categoryOf, formatGroups, formatRate, formatTally, passRate, readMeta, tally, whyNotRun, type StateResult } from './conformance-tally.js';
import { runPool, type Job } from './conformance-pool.js';
import { runTransitions } from './conformance-transitions.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface Options {
  corpus: string;
  /** run only the schema states (dump round trips) or only the directional cases (generated revisions) */
  only: 'states' | 'transitions' | undefined;
  filter: RegExp | undefined;
  json: boolean;
  verbose: boolean;
  privileges: boolean;
  workers: number;
}

function readOptions(): Options {
  const { values } = parseArgs({
    options: {
      corpus: { type: 'string', default: path.join(repoRoot, '..', 'shared', 'conformance', 'pg-delta') },
      filter: { type: 'string' },
      json: { type: 'boolean', default: false },
      verbose: { type: 'boolean', default: false },
      privileges: { type: 'boolean', default: false },
      workers: { type: 'string', default: '2' },
      only: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log('usage: npm run conformance -- [--only states|transitions] [--corpus <dir>] [--filter <regex>] [--json] [--verbose] [--privileges] [--workers 1|2]\n' +
      '  --only        states: each schema state dumped and loaded back; transitions: each A->B and B->A generated and proven (default: both)\n' +
      '  --json        also write every result to bench/results/conformance.json\n' +
      '  --verbose     print each wrong state\'s first differences and the start of its schema.sql\n' +
      '  --privileges  snapshot grants and default privileges too (as strata dump --privileges)');
    process.exit(0);
  }
  const workers = Number(values.workers);
  if (!(workers === 1 || workers === 2)) throw new Error(`--workers takes 1 or 2 (the machine has 2 cores), got ${values.workers}`);
  if (values.only !== undefined && values.only !== 'states' && values.only !== 'transitions') throw new Error(`--only takes states or transitions, got ${values.only}`);
  if (!existsSync(values.corpus)) throw new Error(`no corpus at ${values.corpus}: pass --corpus <dir> (the folder of case folders, each with a.sql and b.sql)`);
  return { corpus: path.resolve(values.corpus), only: values.only as Options['only'], filter: values.filter ? new RegExp(values.filter) : undefined, json: values.json, verbose: values.verbose, privileges: values.privileges, workers };
}

interface PendingState {
  folder: string;
  category: string;
  side: 'a' | 'b';
  sql: string;
  notRun: string | undefined;
}

function readCorpus(options: Options, serverMajor: number): PendingState[] {
  const folders = readdirSync(options.corpus, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(path.join(options.corpus, entry.name, 'a.sql')))
    .map((entry) => entry.name).filter((name) => !options.filter || options.filter.test(name)).sort();
  return folders.flatMap((folder) => {
    const metaPath = path.join(options.corpus, folder, 'meta.json');
    const meta = readMeta(existsSync(metaPath) ? readFileSync(metaPath, 'utf8') : undefined);
    const notRun = whyNotRun(meta, serverMajor);
    return (['a', 'b'] as const).map((side) => ({ folder, category: categoryOf(folder), side, sql: readFileSync(path.join(options.corpus, folder, `${side}.sql`), 'utf8'), notRun }));
  });
}

async function main(): Promise<void> {
  const options = readOptions();
  const adminUrl = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const serverVersionNum = await withClient(adminUrl, async (c) => Number((await c.query<{ v: string }>("select current_setting('server_version_num') as v")).rows[0]!.v));
  const serverMajor = Math.floor(serverVersionNum / 10000);
  // Ctrl-C: the cases under way finish and the workers drop their databases and roles; a second one leaves at once
  const queues: Array<unknown[]> = [];
  process.once('SIGINT', () => {
    console.error('\ninterrupted: finishing the cases under way, then dropping the databases (Ctrl-C again to leave them)');
    for (const queue of queues) queue.length = 0;
    process.exitCode = 130;
    process.once('SIGINT', () => process.exit(130));
  });
  const json: Record<string, unknown> = { corpus: options.corpus, serverVersionNum, privileges: options.privileges };
  if (options.only !== 'transitions') json.states = await runStates(options, adminUrl, serverMajor, queues);
  if (options.only !== 'states') json.transitions = await runTransitions(options, adminUrl, serverMajor, queues);
  if (options.json) {
    const file = path.join(repoRoot, 'bench', 'results', 'conformance.json');
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, `${JSON.stringify(json, null, 2)}\n`);
    console.log(`\nresults: ${path.relative(process.cwd(), file)}`);
  }
}

async function runStates(options: Options, adminUrl: string, serverMajor: number, queues: Array<unknown[]>): Promise<unknown> {
  const states = readCorpus(options, serverMajor);
  const started = performance.now();
  const results: StateResult[] = [];
  for (const state of states) if (state.notRun !== undefined) results.push({ folder: state.folder, category: state.category, side: state.side, outcome: 'not run', detail: state.notRun, ms: 0 });
  const queue: Array<Job<StateResult>> = states.filter((s) => s.notRun === undefined).map((state) => ({
    sql: state.sql,
    judge: async (context) => {
      const t0 = performance.now();
      const verdict = await judgeState(state.sql, context);
      const result: StateResult = { folder: state.folder, category: state.category, side: state.side, outcome: verdict.outcome, detail: verdict.detail, ms: Math.round(performance.now() - t0) };
      if (verdict.outcome === 'wrong') {
        if (verdict.differences) result.differences = verdict.differences;
        if (verdict.dump) result.dumpExcerpt = excerpt(verdict.dump);
      }
      return result;
    },
    crashed: (error) => ({ folder: state.folder, category: state.category, side: state.side, outcome: 'wrong', detail: `the runner failed on it: ${error.message}`, ms: 0 }),
  }));
  queues.push(queue);
  const toRun = queue.length;
  console.log(`conformance, schema states: ${states.length} states from ${options.corpus} on PostgreSQL ${serverMajor}, ${toRun} to run, ${options.workers} worker(s)`);
  let done = 0;
  const pool = await runPool(queue, { adminUrl, workers: options.workers, privileges: options.privileges, tag: 's' }, () => {
    if (process.stderr.isTTY) process.stderr.write(`\r${++done}/${toRun} `);
  });
  results.push(...pool.results);
  const seconds = (performance.now() - started) / 1000;
  if (process.stderr.isTTY) process.stderr.write('\r');

  results.sort((a, b) => (a.folder < b.folder ? -1 : a.folder > b.folder ? 1 : a.side < b.side ? -1 : 1));
  const counts = tally(results);
  console.log(formatTally(counts));
  console.log(`\nstates: pass rate ${formatRate(passRate(counts.total))} = (equal ${counts.total.equal} + refused ${counts.total.refused}) / loadable ${counts.total.equal + counts.total.refused + counts.total.wrong}; ${seconds.toFixed(1)} s`);
  printGroups('databases made anew between states (emptying left)', pool.recreated);
  printGroups('not run', results.filter((r) => r.outcome === 'not run').map((r) => r.detail));
  printGroups('refused (kinds named)', results.filter((r) => r.outcome === 'refused').flatMap((r) => r.detail.replace(/^refused by name: /, '').replace(/ \(.*$/, '').split(', ')));
  printGroups('wrong (why)', results.filter((r) => r.outcome === 'wrong').map((r) => whyWrong(r.detail)));
  printGroups('not loadable (first error)', results.filter((r) => r.outcome === 'not loadable').map((r) => r.detail.replace(/^line \d+: /, '')));
  if (options.verbose) {
    for (const r of results.filter((x) => x.outcome === 'wrong')) {
      console.log(`\n--- wrong: ${r.folder}/${r.side}.sql: ${r.detail}`);
      for (const d of r.differences ?? []) console.log(`    ${d}`);
      if (r.dumpExcerpt) console.log(r.dumpExcerpt.split('\n').map((l) => `  | ${l}`).join('\n'));
    }
  }
  if (pool.leftRoles.length > 0) console.log(`\nroles left on the cluster (could not drop): ${pool.leftRoles.join('; ')}`);
  return { seconds, total: counts.total, passRate: passRate(counts.total) ?? null, categories: counts.rows, results };
}

/** The kinds a wrong state is grouped by when the copy differs in several: the one the others come with (a table's columns, rowtype ...). */
const LEADING_KINDS = ['table', 'view', 'materialized view', 'foreign table', 'function', 'procedure', 'aggregate', 'trigger', 'policy', 'rule', 'event trigger',
  'sequence', 'index', 'table constraint', 'domain constraint', 'type', 'comment', 'default acl', 'acl'];

/** A reason without the object names, so that like failures group. */
function whyWrong(detail: string): string {
  const census = /^the copy differs where the snapshot does not look, in ([^:]*):/.exec(detail);
  if (census) {
    const kinds = census[1]!.split(', ');
    const leading = LEADING_KINDS.find((kind) => kinds.includes(kind)) ?? kinds[0]!;
    return `the copy differs where the snapshot does not look: ${leading}${kinds.length > 1 ? ' (and what comes with it)' : ''}`;
  }
  const snapshot = /^(the snapshots differ: (?:lost|added|changed): [a-z ]+?) /.exec(detail);
  if (snapshot) return snapshot[1]!;
  if (detail.startsWith('dump does not load: ')) return detail.replace(/line \d+: /, '').replace(/\b(function|relation|type|schema|column|constraint|role) \S+/g, '$1 …').replace(/"[^"]*"/g, '"…"');
  return detail.replace(/:.*$/, '');
}

function printGroups(title: string, reasons: string[]): void {
  const text = formatGroups(title, reasons);
  if (text) console.log(text);
}

/** The dump without its header, the first 25 lines. */
function excerpt(dump: string): string {
  const lines = dump.split('\n').filter((l) => !l.startsWith('-- ')).join('\n').trim().split('\n');
  return lines.slice(0, 25).join('\n') + (lines.length > 25 ? `\n... (${lines.length - 25} more lines)` : '');
}

main().catch((error: Error) => {
  console.error(`conformance: ${error.message}`);
  process.exitCode = 1;
});
