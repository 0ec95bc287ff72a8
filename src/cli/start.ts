#!/usr/bin/env node
/**
 * The `strata` command: runs the CLI's bundle (dist/bin/strata.cjs, src/cli.ts and what it
 * loads eagerly, in one file) from V8's compiled code of an earlier run of the same command.
 *
 * Compiling the bundle is most of what a command costs beyond Node's own start: a no-op `up`
 * runs a few milliseconds of strata's code, but V8 first parses and compiles the ~1.4 MB it is
 * made of. Node 20 has no compile cache for modules (22 has `module.enableCompileCache`), so the
 * bundle is CommonJS, run through `vm.Script` with `cachedData`: the code V8 compiled for the
 * same command the last time, kept in the user's cache folder (STRATA_CACHE_DIR, else
 * ~/.cache/strata: the revision cache's and the embedded template's folder) under `code/`.
 *
 * V8 checks that cached code belongs to this source, V8 version and flags, and rejects it
 * otherwise (`cachedDataRejected`): it then compiles as without a cache and the file is written
 * again. The file is named after the bundle's size, modification time and inode, Node's version
 * and the command, so a rebuilt or upgraded strata never even reads an old one. One file per
 * command (`up`, `status` ...; none for a word that is not a command): each holds the functions that command ran, written once at the
 * end of its first run, to a temporary file renamed into place. A cache folder that cannot be
 * read or written only means compiling as without one.
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import v8 from 'node:v8';
import vm from 'node:vm';
import { resolveCacheDir } from '../config.js';
import { writeCacheFile } from '../revision/cache-file.js';

const WEEK_MS = 7 * 24 * 3600 * 1000;
const args = process.argv.slice(2);
// the command's name: the first word that is not a flag
const command = args.find((arg) => !arg.startsWith('-')) ?? 'none';
// Set before the bundle is compiled: V8 checks its cached code against the flags (see runBundle),
// and each command has its own cached code, so a command's flags are the same at every run.
// Only flags V8 reads as it runs can be changed here (--max-semi-space-size is read at its start).
//
// V8's young generation starts at two 1 MB semi-spaces and doubles them, up to 16 MB each, while
// many objects survive its scavenges: a command that reads 1000 revisions (their texts, the caches'
// JSON, the parsed statements) grows it to 33.6 MB, a third of `up`'s peak RSS, for objects that
// live the whole run anyway and are promoted. Kept at 1 MB, the survivors are promoted sooner and
// the scavenges are more frequent but as cheap (they copy the survivors, whatever the size):
// `up` of 1000 from empty 127 -> 97 MB, with warm caches 99 -> 82 MB, no-op 75 -> 70 MB, `down
// base` 92 -> 78 MB, CPU the same within the noise (bench/README.md, issue 14).
v8.setFlagsFromString('--semi-space-growth-factor=1');
// V8's optimising compilers (TurboFan) are left out, Ignition and its baseline code (Sparkplug)
// kept: a command's hot code is JSON, the file system, pg's protocol and the WASM parser (which
// these flags do not touch), and it ends within seconds, before optimised code repays what
// compiling it costs: the compiler's own code and memory, 8-10 MB of RSS (no-op `up` 70 -> 62
// MB, `up` of 1000 with warm caches 82 -> 72, from empty 99 -> 90, `down base` 78 -> 70), the
// same CPU within the noise. `strata dev` keeps them: it stays, and re-runs the same code at
// every save, where optimised code pays.
if (command !== 'dev') v8.setFlagsFromString('--max-opt=1');
// the bundle's import() of PGlite, libpg-query and chokidar (see scripts/bundle.mjs), resolved from here: dist/bin/
(globalThis as { strataImportExternal?: (name: string) => Promise<unknown> }).strataImportExternal = (name) => import(name);
const bundle = fileURLToPath(new URL('./strata.cjs', import.meta.url));
// held for the life of the process: Node finds the import() callback of the bundle's code through
// the script, and an import() after the script was collected would fail
const running = runBundle(bundle, command);
process.once('exit', () => void running);

function runBundle(file: string, command: string): vm.Script {
  const cacheFile = codeCacheFile(file, command);
  const { script, isFromCache } = compileBundle(file, cacheFile);
  if (cacheFile !== undefined && !isFromCache) {
    // Taken at the end of the run, when the functions the command ran have been compiled too, or
    // before the command changes V8's flags (sql/wasm-tier-up.ts): V8 rejects code cached under
    // other flags than those the next run starts with.
    let code: Buffer | undefined;
    const take = () => (code ??= script.createCachedData());
    (globalThis as { strataBeforeV8FlagsChange?: () => void }).strataBeforeV8FlagsChange = take;
    process.once('exit', () => {
      // a first word that is not a command (src/cli.ts says so) gets no file of its own
      if ((globalThis as { strataUnknownCommand?: boolean }).strataUnknownCommand === true) return;
      writeCacheFile(cacheFile, take());
      removeOtherBuilds(cacheFile);
    });
  }
  const module = { exports: {} };
  (script.runInThisContext() as (...args: unknown[]) => void)(module.exports, createRequire(file), module, file, path.dirname(file));
  return script;
}

/**
 * The bundle in the CommonJS wrapper, as Node's own loader gives a module, compiled from the
 * cached code when there is some and V8 takes it. The script keeps the source (one flat copy: the
 * bundle is ASCII, scripts/bundle.mjs sees to it); the text read and the cached code are dropped
 * when this returns, before the command runs.
 */
function compileBundle(file: string, cacheFile: string | undefined): { script: vm.Script; isFromCache: boolean } {
  let cachedData: Buffer | undefined;
  if (cacheFile !== undefined) {
    try {
      cachedData = fs.readFileSync(cacheFile);
    } catch {
      // the first run of this command (or no cache folder): compile as without a cache
    }
  }
  const script = new vm.Script(`(function (exports, require, module, __filename, __dirname) {${fs.readFileSync(file, 'utf8')}\n})`, {
    filename: file,
    cachedData,
    importModuleDynamically: vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER,
  });
  return { script, isFromCache: cachedData !== undefined && script.cachedDataRejected !== true };
}

function codeCacheFile(file: string, command: string): string | undefined {
  const cacheDir = resolveCacheDir(process.env.STRATA_CACHE_DIR, process.env, process.cwd());
  if (cacheDir === undefined) return undefined;
  let stat: fs.Stats;
  try {
    stat = fs.statSync(file);
  } catch {
    return undefined;
  }
  // anything unusual shares one file
  const name = /^[a-z][a-z-]{0,30}$/.test(command) ? command : 'other';
  const build = `${stat.size}-${Math.trunc(stat.mtimeMs)}-${stat.ino}`;
  return path.join(cacheDir, 'code', `strata-${build}-node${process.version}-${process.arch}-${name}.bin`);
}

/**
 * Drops the cached code of other builds of strata (each build names its own files) written more
 * than a week ago: two installations sharing the folder keep theirs.
 */
function removeOtherBuilds(cacheFile: string): void {
  const folder = path.dirname(cacheFile);
  const build = path.basename(cacheFile).split('-node')[0]!;
  try {
    for (const name of fs.readdirSync(folder)) {
      if (!name.startsWith('strata-') || name.startsWith(`${build}-node`)) continue;
      const other = path.join(folder, name);
      if (fs.statSync(other).mtimeMs < Date.now() - WEEK_MS) fs.rmSync(other, { force: true });
    }
  } catch {
    // another run may be cleaning too
  }
}
