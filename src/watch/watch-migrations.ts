import path from 'node:path';

export interface MigrationsWatcher {
  close(): Promise<void>;
}

export interface WatchMigrationsOptions {
  /** stat files on an interval instead of native events (network drives, some container mounts) */
  isPolling: boolean;
  /** a revision folder, or its up.sql or down.sql, was written, created, renamed or deleted */
  onChange(file: string): void;
  onError(error: Error): void;
}

/** How often files are polled with --poll. */
export const POLL_INTERVAL_MS = 100;

/**
 * Watches the migrations folder — the folders, not single files, so an editor's atomic save
 * (write a temporary file, rename it over up.sql) is seen like any other write.
 *
 * Speed: chokidar's own `change` event is throttled (a second change to a path within 50 ms is
 * dropped) and follows a stat; its raw events come straight from the operating system. Both are
 * listened to, because the dev loop re-reads and compares content on every trigger, so an extra
 * trigger costs a file read and a missed one would lose a save. No awaitWriteFinish: a file read
 * half-written fails to parse, and the event of the rest of the write triggers another run.
 */
export async function watchMigrations(dir: string, options: WatchMigrationsOptions): Promise<MigrationsWatcher> {
  const { watch } = await import('chokidar');
  const root = path.resolve(dir);
  const watcher = watch(root, {
    ignoreInitial: true,
    usePolling: options.isPolling,
    interval: POLL_INTERVAL_MS,
    depth: 1,
    // the dev loop is level-triggered (it compares what is on disk with what is applied), so it
    // needs no help pairing an unlink with the add that follows it; chokidar's pairing delays unlinks by 100 ms
    atomic: false,
    ignored: (file: string) => !isWatchedPath(root, file),
  });
  const changed = (file: string) => {
    if (isRevisionPath(root, file)) options.onChange(file);
  };
  watcher.on('raw', (_event, eventPath, details) => {
    const file = rawEventFile(eventPath, (details as { watchedPath?: string } | undefined)?.watchedPath);
    if (file !== undefined) changed(file);
  });
  watcher.on('all', (_event, file) => changed(file));
  watcher.on('error', (error) => options.onError(error instanceof Error ? error : new Error(String(error))));
  await new Promise<void>((resolve) => watcher.once('ready', () => resolve()));
  return {
    close() {
      clearThrottleTimers(watcher);
      return watcher.close();
    },
  };
}

/**
 * chokidar's close() forgets its throttle timers without clearing them (one lasts a second after a
 * folder changes), which would keep the process alive that long after Ctrl-C. They only
 * suppress duplicate events, so clearing them is safe; if the internals change, exit is just slower.
 */
function clearThrottleTimers(watcher: object): void {
  const throttled = (watcher as { _throttled?: unknown })._throttled;
  if (!(throttled instanceof Map)) return;
  for (const byPath of throttled.values()) {
    if (!(byPath instanceof Map)) continue;
    for (const entry of byPath.values()) clearTimeout((entry as { timeoutObject?: NodeJS.Timeout }).timeoutObject);
  }
}

/** Native events name a file inside the watched folder, or the watched file or folder itself; polling gives the full path. */
function rawEventFile(eventPath: string, watchedPath: string | undefined): string | undefined {
  if (path.isAbsolute(eventPath)) return eventPath;
  if (watchedPath === undefined) return undefined;
  return path.basename(watchedPath) === eventPath ? watchedPath : path.join(watchedPath, eventPath);
}

/** The folder itself, its revision folders and their up.sql and down.sql; no dot-files (editor swap and temporary files). */
function isWatchedPath(root: string, file: string): boolean {
  const relative = path.relative(root, file);
  return relative === '' || isRevisionPath(root, file);
}

function isRevisionPath(root: string, file: string): boolean {
  const relative = path.relative(root, file);
  if (relative === '' || relative.startsWith('..') || path.isAbsolute(relative)) return false;
  const parts = relative.split(path.sep);
  if (parts.some((part) => part.startsWith('.'))) return false;
  return parts.length === 1 || (parts.length === 2 && (parts[1] === 'up.sql' || parts[1] === 'down.sql'));
}
