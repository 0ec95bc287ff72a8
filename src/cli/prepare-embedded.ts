/**
 * Run once at install (`npm install` runs it after the build): makes the embedded database's
 * template, PGlite's initdb, in the user's cache, so that no strata command pays for it. initdb is
 * the one step that needs several seconds and ~450 MB; a command that finds the template copies it
 * in about a second and under 200 MB. This never fails an install: a cache that cannot be written
 * only means the first embedded command makes the template itself (and says so).
 */
import { displayPath, resolveCacheDir } from '../config.js';
import { loadPgliteRuntime } from '../db/pglite-runtime.js';
import { prepareTemplate, templateDirFor } from '../db/pglite-template.js';

async function main(): Promise<void> {
  const cwd = process.cwd();
  const cacheDir = resolveCacheDir(process.env.STRATA_CACHE_DIR, process.env, cwd);
  if (cacheDir === undefined) {
    console.log('strata: no cache folder (no home folder, STRATA_CACHE_DIR unset): the first embedded command creates its database itself');
    return;
  }
  const runtime = await loadPgliteRuntime();
  const where = templateDirFor(cacheDir, runtime.version);
  const outcome = await prepareTemplate(cacheDir, runtime);
  if (outcome === 'made') console.log(`strata: prepared the embedded database's template in ${where} (once per PGlite version)`);
  else if (outcome === 'unwritable') console.log(`strata: ${displayPath(cwd, cacheDir)} cannot be written: the first embedded command creates its database itself`);
}

main().catch((error: unknown) => {
  console.log(`strata: could not prepare the embedded database's template (${error instanceof Error ? error.message : String(error)}); the first embedded command makes it instead`);
});
