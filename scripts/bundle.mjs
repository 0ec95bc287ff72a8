// Bundles the CLI into dist/bin/:
// - strata.cjs: src/cli.ts and everything it loads, strata's own lazily loaded rooms included, in
//   one CommonJS file, so that a command loads one file instead of ~60 modules and V8 can keep its
//   compiled code between runs (src/cli/start.ts, which is dist/bin/cli.js, the `strata` command);
// - pglite-worker.js and prepare-embedded.js: the embedded database's thread and the install step,
//   ES modules as before, loaded only when the embedded database is used.
// Heavy dependencies that are loaded lazily (PGlite, libpg-query's WASM, chokidar) stay external and
// are loaded with import() only by the commands that need them. See bench/README.md for the figures.
import { readFile } from 'node:fs/promises';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { build } from 'esbuild';

// pg asks, as it loads, whether it runs in a Cloudflare Worker, by making a fetch Response; on
// node 20 the first use of Response loads undici: 50-70 ms of every command that connects to a
// server. This bundle is for node (platform: 'node'), so the answer is known: pg's node streams.
const pgOnNode = {
  name: 'pg-on-node',
  setup(bundle) {
    // pg's crypto helpers load node:crypto as pg loads (6-7 ms of every command), though only a
    // password (md5 or SCRAM) or TLS needs it: here it is loaded on the first use instead
    bundle.onLoad({ filter: /[\\/]pg[\\/]lib[\\/]crypto[\\/]utils\.js$/ }, async (args) => {
      const text = await readFile(args.path, 'utf8');
      const eager = [
        "const nodeCrypto = require('crypto')",
        'const webCrypto = nodeCrypto.webcrypto || globalThis.crypto',
        'const subtleCrypto = webCrypto.subtle',
      ];
      if (!eager.every((line) => text.includes(line))) throw new Error(`${args.path} no longer loads node:crypto as it did: see the pg-on-node plugin in scripts/bundle.mjs`);
      const lazy = 'const loadedOnFirstUse = (load) => { let loaded; return new Proxy({}, { get: (_, key) => { loaded ??= load(); const value = loaded[key]; return typeof value === "function" ? value.bind(loaded) : value; } }); }';
      const patched = text
        .replace(eager[0], `${lazy}\nconst nodeCrypto = loadedOnFirstUse(() => require('crypto'))`)
        .replace(eager[1], 'const webCrypto = loadedOnFirstUse(() => nodeCrypto.webcrypto || globalThis.crypto)')
        .replace(eager[2], 'const subtleCrypto = loadedOnFirstUse(() => webCrypto.subtle)');
      return { contents: patched, loader: 'js' };
    });
    bundle.onLoad({ filter: /[\\/]pg[\\/]lib[\\/]stream\.js$/ }, async (args) => {
      const text = await readFile(args.path, 'utf8');
      const patched = text.replace('function isCloudflareRuntime() {', 'function isCloudflareRuntime() {\n  return false;');
      if (patched === text) throw new Error(`${args.path} no longer declares isCloudflareRuntime(): see the pg-on-node plugin in scripts/bundle.mjs`);
      return { contents: patched, loader: 'js' };
    });
  },
};

const external = ['@electric-sql/pglite', 'libpg-query', 'libpg-query-15', 'libpg-query-16', 'libpg-query-17', 'chokidar', 'pg-native'];

// chunk names carry content hashes: start from an empty folder so old chunks do not pile up
rmSync('dist/bin', { recursive: true, force: true });

await build({
  entryPoints: { strata: 'src/cli.ts' },
  outdir: 'dist/bin',
  outExtension: { '.js': '.cjs' },
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  sourcemap: true,
  external,
  // the sources are ES modules: import.meta.url is the bundle's own URL (./pglite-worker.js, ../../package.json)
  define: { 'import.meta.url': 'importMetaUrlOfBundle' },
  banner: { js: "const importMetaUrlOfBundle = require('node:url').pathToFileURL(__filename).href;\nconst importExternal = globalThis.strataImportExternal ?? ((name) => import(name));" },
  plugins: [pgOnNode],
  logLevel: 'warning',
});
// The external packages are ES modules, loaded with import(). Code V8 deserialised from a cache
// (src/cli/start.ts) has lost the vm.Script's import() callback on Node 20, so the bundle asks the
// command's own module (an ES module, beside it in dist/bin/) to import them.
const cjs = readFileSync('dist/bin/strata.cjs', 'utf8');
const viaStart = cjs.replace(/\bimport\("([^"]+)"\)/g, (call, name) => {
  if (!external.includes(name)) throw new Error(`strata.cjs imports ${name} at run time, which is not external: see scripts/bundle.mjs`);
  return `importExternal("${name}")`;
});
if (/\bimport\(/.test(viaStart.replace(/\(\(name\) => import\(name\)\)/, ''))) throw new Error('strata.cjs has an import() scripts/bundle.mjs does not route');
// esbuild writes strings and regular expressions in ASCII (its charset default) but the comments
// it keeps as they are: one character past Latin-1 in them makes the whole source, which V8 keeps
// for the life of every command (src/cli/start.ts), a two-byte string, 2.3 MB instead of 1.15 MB.
// Such characters are written as escapes, in comment lines only.
const ascii = viaStart.split('\n').map((line, index) => {
  if (!/[^\x00-\x7f]/.test(line)) return line;
  if (!/^\s*(\/\/|\/\*|\*)/.test(line)) throw new Error(`strata.cjs line ${index + 1} has a character that is not ASCII outside a comment: see scripts/bundle.mjs\n${line}`);
  return line.replace(/[^\x00-\x7f]/gu, (c) => `\\u{${c.codePointAt(0).toString(16)}}`);
}).join('\n');
writeFileSync('dist/bin/strata.cjs', ascii);

await build({
  // the embedded database's thread is an entry point of its own, started by the bundle above
  // (new URL('./pglite-worker.js', import.meta.url)); prepare-embedded runs once at install
  // (package.json's prepare); cli.js is the command, which runs strata.cjs
  entryPoints: { cli: 'src/cli/start.ts', 'pglite-worker': 'src/db/pglite-worker.ts', 'prepare-embedded': 'src/cli/prepare-embedded.ts' },
  outdir: 'dist/bin',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  sourcemap: true,
  external,
  // pg and pg-sql2 are CommonJS: give the ESM bundle a require() for the built-ins they load
  banner: { js: "import { createRequire as createRequireForBundle } from 'node:module'; const require = createRequireForBundle(import.meta.url);" },
  plugins: [pgOnNode],
  logLevel: 'warning',
});
