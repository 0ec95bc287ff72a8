import os from 'node:os';
import path from 'node:path';

// Apart from config.ts so that the CLI's first module (cli/start.ts), which finds the compiled-code
// cache before anything else is loaded, can use it without loading the rest of the configuration.

/** STRATA_CACHE_DIR, else the platform's user cache folder (XDG_CACHE_HOME on Linux) + `strata`. */
export function resolveCacheDir(explicit: string | undefined, env: Record<string, string | undefined>, cwd: string): string | undefined {
  if (explicit !== undefined) return path.resolve(cwd, explicit);
  const xdg = env.XDG_CACHE_HOME;
  if (xdg && path.isAbsolute(xdg)) return path.join(xdg, 'strata');
  let home = env.HOME || env.USERPROFILE;
  try {
    home ||= os.homedir();
  } catch {
    // no home folder (some service accounts): no cache
  }
  if (!home) return undefined;
  if (process.platform === 'darwin') return path.join(home, 'Library', 'Caches', 'strata');
  if (process.platform === 'win32') return path.join(env.LOCALAPPDATA || path.join(home, 'AppData', 'Local'), 'strata', 'Cache');
  return path.join(home, '.cache', 'strata');
}
