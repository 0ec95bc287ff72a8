// Bundles the CLI into dist/bin/ so a command starts by loading a few files instead of ~60
// modules (about 70 ms less CPU per invocation on this machine: see bench/README.md).
// Heavy dependencies that are loaded lazily (PGlite, libpg-query's WASM, chokidar) stay external
// and keep being loaded only by the commands that need them; code splitting keeps strata's own
// lazily imported modules (dev loop, sql, stamp) in chunks of their own.
import { rmSync } from 'node:fs';
import { build } from 'esbuild';

// chunk names carry content hashes: start from an empty folder so old chunks do not pile up
rmSync('dist/bin', { recursive: true, force: true });

await build({
  // the embedded database's thread is an entry point of its own, next to the chunk that starts it;
  // prepare-embedded runs once at install (package.json's prepare)
  entryPoints: { cli: 'src/cli.ts', 'pglite-worker': 'src/db/pglite-worker.ts', 'prepare-embedded': 'src/cli/prepare-embedded.ts' },
  outdir: 'dist/bin',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  sourcemap: true,
  external: ['@electric-sql/pglite', 'libpg-query', 'libpg-query-15', 'libpg-query-16', 'libpg-query-17', 'chokidar', 'pg-native'],
  // pg and pg-sql2 are CommonJS: give the ESM bundle a require() for the built-ins they load
  banner: { js: "import { createRequire as createRequireForBundle } from 'node:module'; const require = createRequireForBundle(import.meta.url);" },
  logLevel: 'warning',
});
