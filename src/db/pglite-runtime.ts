import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { PGliteOptions } from '@electric-sql/pglite';
import { withoutWasmTierUp } from '../sql/wasm-tier-up.js';

type PgliteModule = typeof import('@electric-sql/pglite');
type WasmModule = NonNullable<PGliteOptions['pgliteWasmModule']>;
// the global, which this project's lib settings (no DOM) do not declare
declare const WebAssembly: { compile(bytes: Uint8Array): Promise<WasmModule> };

/** PGlite, loaded once per process, with what every instance of it is started with. */
export interface PgliteRuntime {
  readonly PGlite: PgliteModule['PGlite'];
  readonly protocol: PgliteModule['protocol'];
  /** the installed @electric-sql/pglite version: a data directory made by one version is reused only by the same one */
  readonly version: string;
  /** to open a database: the engine compiled once, and the server settings */
  readonly options: PGliteOptions;
  /** to create one: the same, with initdb's own module (compiled only then) and settings */
  creationOptions(): Promise<PGliteOptions>;
}

/**
 * Shared buffers of 16 MB instead of PostgreSQL's 128 MB: a migration tool's database is small,
 * and the engine then stays within its initial 128 MB WASM heap (peak RSS of an open: 250 -> 130
 * MB; of initdb, which sizes its own runs by postgresql.conf: 510 -> 475 MB).
 */
const SHARED_BUFFERS = 'shared_buffers=16MB';

let loading: Promise<PgliteRuntime> | undefined;

export function loadPgliteRuntime(): Promise<PgliteRuntime> {
  loading ??= load();
  return loading;
}

async function load(): Promise<PgliteRuntime> {
  const { PGlite, protocol } = await import('@electric-sql/pglite');
  // the .wasm and package.json sit next to the entry point (dist/) and one level up
  const distDir = path.dirname(createRequire(import.meta.url).resolve('@electric-sql/pglite'));
  const version = (JSON.parse(readFileSync(path.join(distDir, '..', 'package.json'), 'utf8')) as { version: string }).version;
  const pgliteWasmModule = await compileBeside(distDir, 'pglite.wasm');
  const options: PGliteOptions = {
    ...(pgliteWasmModule ? { pgliteWasmModule } : {}),
    startParams: [...PGlite.defaultStartParams, '-c', SHARED_BUFFERS],
  };
  let creation: Promise<PGliteOptions> | undefined;
  return {
    PGlite,
    protocol,
    version,
    options,
    creationOptions: () => (creation ??= compileBeside(distDir, 'initdb.wasm').then((initdbWasmModule) => ({
      ...options,
      ...(initdbWasmModule ? { initdbWasmModule } : {}),
      initDbStartParams: ['--set', SHARED_BUFFERS],
    }))),
  };
}

/** Compiled here, without V8's tier-up; undefined (PGlite then loads it itself) if the file is not where 0.5.x keeps it. */
async function compileBeside(distDir: string, name: string): Promise<WasmModule | undefined> {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path.join(distDir, name));
  } catch {
    return undefined;
  }
  return withoutWasmTierUp(() => WebAssembly.compile(bytes));
}
