import { spawn } from 'node:child_process';
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
      await client.end().catch(() => {});
      const dropper = new pg.Client({ connectionString: adminUrl });
      await dropper.connect();
      await dropper.query(`drop database if exists "${name}" with (force)`);
      await dropper.end();
    },
  };
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
  /** stdout and stderr together */
  output: string;
}

/** Runs the built CLI as a user would (or another built entry point: `script`). */
export function runCli(args: string[], options: { cwd: string; env?: Record<string, string | undefined>; timeoutMs?: number; script?: string }): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const env: Record<string, string | undefined> = { ...process.env, NO_COLOR: '1', DATABASE_URL: undefined, STRATA_DIR: undefined, STRATA_SCHEMA: undefined, ...options.env };
    for (const key of Object.keys(env)) if (env[key] === undefined) delete env[key];
    const child = spawn(process.execPath, [options.script ?? cliPath, ...args], { cwd: options.cwd, env: env as NodeJS.ProcessEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, output: stdout + stderr });
    });
  });
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
