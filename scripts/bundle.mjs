// Bundles the CLI into dist/bin/ so a command starts by loading a few files instead of ~60
// modules (about 70 ms less CPU per invocation on this machine: see bench/README.md).
// Heavy dependencies that are loaded lazily (PGlite, libpg-query's WASM, chokidar) stay external
// and keep being loaded only by the commands that need them; code splitting keeps strata's own
// lazily imported modules (dev loop, sql, stamp) in chunks of their own.
import { readFile } from 'node:fs/promises';
import { rmSync } from 'node:fs';
import { build } from 'esbuild';

// pg asks, as it loads, whether it runs in a Cloudflare Worker, by making a fetch Response; on
// node 20 the first use of Response loads undici: 50-70 ms of every command that connects to a
// server. This bundle is for node (platform: 'node'), so the answer is known: pg's node streams.
const pgOnNode = {
  name: 'pg-on-node',
  setup(bundle) {
    bundle.onLoad({ filter: /[\\/]pg[\\/]lib[\\/]stream\.js$/ }, async (args) => {
      const text = await readFile(args.path, 'utf8');
      const patched = text.replace('function isCloudflareRuntime() {', 'function isCloudflareRuntime() {\n  return false;');
      if (patched === text) throw new Error(`${args.path} no longer declares isCloudflareRuntime(): see the pg-on-node plugin in scripts/bundle.mjs`);
      return { contents: patched, loader: 'js' };
    });
  },
};

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
  plugins: [pgOnNode],
  logLevel: 'warning',
});
