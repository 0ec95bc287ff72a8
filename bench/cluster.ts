import { spawnSync, type SpawnSyncOptions } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';

/**
 * A throwaway PostgreSQL cluster for the benchmark: initdb into a temporary folder, started on a
 * free port on 127.0.0.1, server settings at their defaults (fsync and synchronous_commit on)
 * except max_locks_per_transaction, so that psql -1 can create 1000 tables in one transaction,
 * and track_wal_io_timing, so that the WAL fsyncs of each run can be counted and timed.
 * initdb and the server refuse to run as root, so as root they run as the `postgres` user.
 */
export interface Cluster {
  port: number;
  dataDir: string;
  logFile: string;
  binDir: string | undefined;
  /** postgres://postgres@127.0.0.1:<port>/<database> */
  url(database: string): string;
  /** Runs SQL with psql against `database` and returns its unaligned, tuples-only output. Throws on error. */
  sql(database: string, text: string): string;
  stop(mode?: 'fast' | 'immediate'): void;
  /** starts it again after stop() (crash recovery first, after an immediate stop) */
  start(): void;
}

/** `name` from PATH, else from the newest /usr/lib/postgresql/<version>/bin. */
export function findPgBinary(name: string): string {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (dir && existsSync(path.join(dir, name))) return path.join(dir, name);
  }
  const root = '/usr/lib/postgresql';
  if (existsSync(root)) {
    const versions = readdirSync(root).filter((v) => /^\d+(\.\d+)?$/.test(v)).sort((a, b) => Number(b) - Number(a));
    for (const version of versions) {
      const candidate = path.join(root, version, 'bin', name);
      if (existsSync(candidate)) return candidate;
    }
  }
  throw new Error(`cannot find ${name}: install PostgreSQL (server binaries) or put its bin folder on PATH`);
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function postgresUser(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const line = readFileSync('/etc/passwd', 'utf8').split('\n').find((l) => l.startsWith('postgres:'));
  if (!line) throw new Error('running as root and there is no postgres user to run initdb as (initdb refuses root)');
  const fields = line.split(':');
  return { uid: Number(fields[2]), gid: Number(fields[3]) };
}

function run(command: string, args: string[], options: SpawnSyncOptions = {}): string {
  const result = spawnSync(command, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, ...options });
  if (result.error) throw result.error;
  if (result.status !== 0) {
    throw new Error(`${path.basename(command)} ${args.join(' ')} exited ${result.status ?? result.signal}:\n${String(result.stderr ?? '')}${String(result.stdout ?? '')}`);
  }
  return String(result.stdout ?? '');
}

/** `extraSettings`: more `-c name=value` settings for the server. */
export async function startCluster(root: string, extraSettings: string[] = []): Promise<Cluster> {
  const initdb = findPgBinary('initdb');
  const pgCtl = findPgBinary('pg_ctl');
  const psql = findPgBinary('psql');
  const owner = postgresUser();
  const dataDir = path.join(root, 'pgdata');
  const socketDir = path.join(root, 'pgsocket');
  const logFile = path.join(root, 'postgres.log');
  for (const dir of [dataDir, socketDir]) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    if (owner) chownSync(dir, owner.uid, owner.gid);
  }
  const asOwner: SpawnSyncOptions = owner ? { uid: owner.uid, gid: owner.gid, cwd: root } : { cwd: root };
  const env = { PATH: process.env.PATH ?? '', LANG: 'C.UTF-8', LC_ALL: 'C.UTF-8' };
  // --no-sync only skips flushing initdb's own files; the server runs with fsync on.
  run(initdb, ['-D', dataDir, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--no-sync', '--locale=C'], { ...asOwner, env });
  const port = await freePort();
  const serverOptions = [
    `-c port=${port}`,
    '-c listen_addresses=127.0.0.1',
    `-c unix_socket_directories=${socketDir}`,
    '-c max_locks_per_transaction=4096',
    // timing only (pg_stat_wal.wal_sync_time): how much of a run is spent waiting for WAL fsyncs
    '-c track_wal_io_timing=on',
    ...extraSettings.map((setting) => `-c ${setting}`),
  ].join(' ');
  // pg_ctl writes the server log where the postgres user can write it
  writeFileSync(logFile, '');
  if (owner) chownSync(logFile, owner.uid, owner.gid);
  const start = () => run(pgCtl, ['start', '-w', '-t', '60', '-D', dataDir, '-l', logFile, '-o', serverOptions], { ...asOwner, env, stdio: ['ignore', 'pipe', 'pipe'] });
  start();

  let stopped = false;
  const cluster: Cluster = {
    port,
    dataDir,
    logFile,
    binDir: path.dirname(initdb),
    url: (database) => `postgres://postgres@127.0.0.1:${port}/${database}`,
    sql: (database, text) => run(psql, ['-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-h', '127.0.0.1', '-p', String(port), '-U', 'postgres', '-d', database, '-c', text], { env }),
    stop(mode = 'fast') {
      if (stopped) return;
      stopped = true;
      spawnSync(pgCtl, ['stop', '-w', '-t', '60', '-D', dataDir, '-m', mode], { ...asOwner, env, stdio: 'ignore' });
    },
    start() {
      if (!stopped) return;
      start();
      stopped = false;
    },
  };
  return cluster;
}
