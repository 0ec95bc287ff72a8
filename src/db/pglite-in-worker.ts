import { Worker } from 'node:worker_threads';
import { DatabaseQueryError, type Database } from './database.js';
import type { CreateOptions } from './pglite-template.js';
import type { SerializedError, WorkerCall, WorkerOpenData, WorkerReply } from './pglite-worker.js';

/**
 * PGlite runs PostgreSQL as WebAssembly, synchronously: on the main thread a long statement (or a
 * storage error it loops on) would block the event loop, so Ctrl-C and SIGTERM would wait for it.
 * It runs on a thread of its own instead; the main thread keeps handling signals (a second Ctrl-C
 * exits at once, as on a server) and talks to it through the same Database methods.
 */
export async function openPgliteInWorker(dataDir: string | undefined, creation: CreateOptions): Promise<Database> {
  const worker = new Worker(new URL('./pglite-worker.js', import.meta.url), { workerData: { dataDir, cacheDir: creation.cacheDir } satisfies WorkerOpenData });
  const pending = new Map<number, { resolve(value: unknown): void; reject(error: unknown): void }>();
  let nextId = 1;
  let exited: Error | undefined;
  let settings: Record<string, string | undefined> = {};
  const ready = new Promise<Extract<WorkerReply, { type: 'ready' }>>((resolve, reject) => {
    pending.set(0, { resolve: () => {}, reject });
    worker.on('message', (reply: WorkerReply) => {
      if (reply.type === 'created') creation.onCreate(reply.source, reply.templateDir);
      else if (reply.type === 'ready') {
        settings = reply.settings;
        resolve(reply);
      } else {
        settings = { ...settings, ...reply.settings };
        const waiter = pending.get(reply.id);
        pending.delete(reply.id);
        if (reply.ok) waiter?.resolve(reply.value);
        else waiter?.reject(deserializeError(reply.error));
      }
    });
  });
  const fail = (error: Error) => {
    exited = error;
    for (const waiter of pending.values()) waiter.reject(error);
    pending.clear();
  };
  worker.on('error', fail);
  worker.on('exit', (code) => fail(new Error(`the embedded database's thread stopped (exit code ${code})`)));
  let opened: Extract<WorkerReply, { type: 'ready' }>;
  try {
    opened = await ready;
  } catch (error) {
    // a database that could not be opened (a full disk, say) leaves no thread behind
    await worker.terminate();
    throw error;
  }
  pending.delete(0);
  const call = (method: string, args: unknown[]) => new Promise<unknown>((resolve, reject) => {
    if (exited) return reject(exited);
    const id = nextId++;
    pending.set(id, { resolve, reject });
    worker.postMessage({ id, method, args } satisfies WorkerCall);
  });
  const db: Record<string, unknown> = { ...opened.properties };
  for (const method of opened.methods) db[method] = (...args: unknown[]) => call(method, args);
  db.reportedSetting = (name: string) => settings[name];
  const close = db.close as () => Promise<void>;
  db.close = async () => {
    try {
      await close();
    } catch {
      // already stopped
    }
    await worker.terminate();
  };
  return db as unknown as Database;
}

function deserializeError(error: SerializedError): Error {
  if (error.kind === 'query') return new DatabaseQueryError(error.info);
  const revived = Object.assign(new Error(error.message), { name: error.name, code: error.code });
  if (error.stack) revived.stack = error.stack;
  return revived;
}
