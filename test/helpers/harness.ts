import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const cliPath = path.join(repoRoot, 'dist', 'bin', 'cli.js');
/** what `npm install` runs after the build: makes the embedded database's template in the cache */
export const prepareEmbeddedPath = path.join(repoRoot, 'dist', 'bin', 'prepare-embedded.js');
export const fixturesDir = path.join(repoRoot, 'test', 'fixtures');
export const adminUrl = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

// The embedded database's template cache of every CLI these tests start (they inherit this
// environment): one in the temporary folder, shared by the test files, not the user's own.
// Tests of the cache itself give each run a folder of its own.
process.env.STRATA_CACHE_DIR ??= path.join(os.tmpdir(), 'strata-test-cache');

export interface TestDatabase {
  name: string;
  url: string;
  query<R = Record<string, unknown>>(text: string, values?: unknown[]): Promise<R[]>;
  drop(): Promise<void>;
}

/**
 * A database of its own for one test file (unique name, dropped after). When the server cannot be
 * reached, CI fails; elsewhere the caller gets undefined and skips with the reason printed.
 */
export async function createTestDatabase(prefix: string): Promise<TestDatabase | undefined> {
  const name = `strata_test_${prefix}_${process.pid}_${Date.now().toString(36)}`.toLowerCase().replace(/[^a-z0-9_]/g, '_').slice(0, 63);
  const admin = new pg.Client({ connectionString: adminUrl });
  try {
    await admin.connect();
  } catch (error) {
    const reason = `PostgreSQL not reachable at ${adminUrl}: ${(error as Error).message}`;
    if (process.env.CI) throw new Error(reason);
    console.warn(`SKIP: ${reason}`);
    return undefined;
  }
  await admin.query(`create database "${name}"`);
  await admin.end();
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const client = new pg.Client({ connectionString: url.toString() });
  await client.connect();
  client.on('error', () => {});
  return {
    name,
    url: url.toString(),
    query: async <R>(text: string, values?: unknown[]) => (await client.query(text, values)).rows as R[],
    drop: async () => {
      // a database that has a subscription cannot be dropped: each is let go of its slot (none reaches a publisher) and dropped
      const subscriptions = await client.query<{ name: string }>('select quote_ident(subname) as name from pg_subscription where subdbid = (select oid from pg_database where datname = current_database())').catch(() => ({ rows: [] }));
      for (const { name: subscription } of subscriptions.rows) {
        for (const sql of [`alter subscription ${subscription} disable`, `alter subscription ${subscription} set (slot_name = none)`, `drop subscription ${subscription}`]) await client.query(sql).catch(() => {});
      }
      await client.end().catch(() => {});
      const dropper = new pg.Client({ connectionString: adminUrl });
      await dropper.connect();
      await dropper.query(`drop database if exists "${name}" with (force)`);
      await dropper.end();
    },
  };
}

/** One statement as the cluster's admin (roles are cluster-wide: made and dropped by the tests that need them). */
export async function adminQuery(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
  /** stdout and stderr together */
  output: string;
}

export interface CliOptions {
  cwd: string;
  /** on top of this process's environment; undefined removes a variable (see cliEnvironment) */
  env?: Record<string, string | undefined>;
  /** SIGKILL after this long; a handle from spawnCli has no timer unless given one, runCli's default is 60 s */
  timeoutMs?: number;
  /** written to the CLI's stdin, which is then closed; without it stdin is ignored */
  stdin?: string;
  /** another built entry point than the CLI (dist/bin/prepare-embedded.js) */
  script?: string;
  /** run as this user (and group of the same id): needs root */
  uid?: number;
}

/** A running CLI: its output as it arrives, and its end. */
export interface CliProcess {
  readonly child: ChildProcess;
  /** stdout and stderr as they arrived, interleaved */
  output(): string;
  stdout(): string;
  stderr(): string;
  /** calls `listener` with the whole stdout so far after each chunk of it */
  onStdout(listener: (stdout: string) => void): void;
  /** a position in output(), to wait for what comes after it */
  mark(): number;
  /** the first match of `pattern` in the output after `from`; fails after the timeout (or when the process exits) */
  waitFor(pattern: RegExp, from?: number, timeoutMs?: number): Promise<RegExpExecArray>;
  /** when the process has exited (its pipes may still be open) */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** when the process has exited and its output is all read */
  readonly result: Promise<CliResult & { signal: NodeJS.Signals | null }>;
  /** sends the signal and resolves when the process has exited, with how long that took */
  stop(signal?: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null; ms: number }>;
  /** sends the signal (SIGKILL by default) if the process is still running */
  kill(signal?: NodeJS.Signals): void;
}

/**
 * The environment of a CLI the tests start: this process's, without colours, and without the
 * variables that would pick a database, folder or schema other than the test's own unless `env`
 * gives them (undefined in `env` removes a variable).
 */
export function cliEnvironment(env: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const full: Record<string, string | undefined> = { ...process.env, NO_COLOR: '1', DATABASE_URL: undefined, STRATA_DIR: undefined, STRATA_SCHEMA: undefined, ...env };
  for (const key of Object.keys(full)) if (full[key] === undefined) delete full[key];
  return full as NodeJS.ProcessEnv;
}

/** Starts the built CLI as a user would (or another built entry point: `script`), for a test to watch, signal or kill. */
export function spawnCli(args: string[], options: CliOptions): CliProcess {
  const child = spawn(process.execPath, [options.script ?? cliPath, ...args], {
    cwd: options.cwd,
    env: cliEnvironment(options.env),
    stdio: [options.stdin === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    ...(options.uid === undefined ? {} : { uid: options.uid, gid: options.uid }),
  });
  let output = '';
  let stdout = '';
  let stderr = '';
  const stdoutListeners: Array<(stdout: string) => void> = [];
  child.stdout!.on('data', (d) => {
    output += d;
    stdout += d;
    for (const listener of stdoutListeners) listener(stdout);
  });
  child.stderr!.on('data', (d) => {
    output += d;
    stderr += d;
  });
  if (options.stdin !== undefined) child.stdin!.end(options.stdin);
  const running = () => child.exitCode === null && child.signalCode === null;
  const timer = options.timeoutMs === undefined ? undefined : setTimeout(() => child.kill('SIGKILL'), options.timeoutMs);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const result = new Promise<CliResult & { signal: NodeJS.Signals | null }>((resolve, reject) => {
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, output: stdout + stderr });
    });
  });
  // a failed spawn rejects `result`; a test that only watches `exited` must not die of it unheard
  result.catch(() => {});
  return {
    child,
    output: () => output,
    stdout: () => stdout,
    stderr: () => stderr,
    onStdout: (listener) => void stdoutListeners.push(listener),
    mark: () => output.length,
    async waitFor(pattern, from = 0, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      const flags = pattern.flags.replace('g', '');
      for (;;) {
        const match = new RegExp(pattern.source, flags).exec(output.slice(from));
        if (match) return match;
        if (!running()) throw new Error(`strata ${args[0] ?? ''} exited (${child.exitCode ?? child.signalCode}) before printing ${pattern}; output:\n${output}`);
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${pattern}; output after the mark:\n${output.slice(from)}\n--- whole output:\n${output}`);
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    },
    exited,
    result,
    async stop(signal = 'SIGINT') {
      const started = performance.now();
      if (running()) child.kill(signal);
      await exited;
      return { code: child.exitCode, signal: child.signalCode, ms: performance.now() - started };
    },
    kill(signal = 'SIGKILL') {
      if (running()) child.kill(signal);
    },
  };
}

/** Runs the built CLI (or `script`) to its end and gives what it printed; killed after 60 s unless `timeoutMs` says otherwise. */
export function runCli(args: string[], options: CliOptions): Promise<CliResult> {
  return spawnCli(args, { ...options, timeoutMs: options.timeoutMs ?? 60_000 }).result;
}

/** A throwaway project folder; `files` maps relative paths to contents. */
export function makeProject(files: Record<string, string | Uint8Array> = {}): { dir: string; write(rel: string, content: string | Uint8Array): void; remove(): void } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'strata-test-'));
  const write = (rel: string, content: string | Uint8Array) => {
    const full = path.join(dir, rel);
    mkdirSync(path.dirname(full), { recursive: true });
    writeFileSync(full, content);
  };
  for (const [rel, content] of Object.entries(files)) write(rel, content);
  return { dir, write, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A project holding a copy of a fixture folder (test/fixtures/<name>) as its migrations/. */
export function projectFromFixture(name: string): { dir: string; write(rel: string, content: string | Uint8Array): void; remove(): void } {
  const project = makeProject();
  cpSync(path.join(fixturesDir, name), path.join(project.dir, 'migrations'), { recursive: true });
  return project;
}

/** up.sql text with a header */
export function upSql(parent: string, body: string, extraHeader = ''): string {
  return `--! Parent: ${parent}\n${extraHeader}\n${body}`;
}
