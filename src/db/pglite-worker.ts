/**
 * The embedded database's own thread (see pglite-in-worker.ts): opens PGlite here and answers the
 * main thread's calls of the Database methods, one message each.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { DatabaseQueryError, type Database } from './database.js';
import { openPglite, REPORTED_SETTINGS } from './pglite-database.js';
import type { CreationSource } from './pglite-template.js';

export interface WorkerOpenData {
  dataDir: string | undefined;
  cacheDir: string | undefined;
}

export type WorkerReply =
  | { type: 'created'; source: CreationSource; templateDir: string | undefined }
  | { type: 'ready'; properties: Record<string, unknown>; methods: string[]; settings: ReportedSettings }
  | { type: 'result'; id: number; ok: true; value: unknown; settings: ReportedSettings }
  | { type: 'result'; id: number; ok: false; error: SerializedError; settings: ReportedSettings };

/** The settings the server reported, as of the end of a call: reportedSetting() is synchronous. */
export type ReportedSettings = Record<string, string | undefined>;

export interface WorkerCall {
  id: number;
  method: string;
  args: unknown[];
}

/** What crosses the thread boundary of an error: SQL errors keep their fields, others name and code. */
export type SerializedError =
  | { kind: 'query'; info: DatabaseQueryError['info'] }
  | { kind: 'other'; name: string; message: string; code: string | undefined; stack: string | undefined };

export function serializeError(error: unknown): SerializedError {
  if (error instanceof DatabaseQueryError) return { kind: 'query', info: error.info };
  const e = error as Partial<NodeJS.ErrnoException> | undefined;
  return { kind: 'other', name: e?.name ?? 'Error', message: e?.message ?? String(error), code: e?.code, stack: e?.stack };
}

if (parentPort) {
  const port = parentPort;
  const { dataDir, cacheDir } = workerData as WorkerOpenData;
  const send = (reply: WorkerReply) => port.postMessage(reply);
  const settings = (): ReportedSettings => Object.fromEntries(REPORTED_SETTINGS.map((name) => [name, db?.reportedSetting(name)]));
  let db: Database | undefined;
  let opening: Promise<Database> | undefined;
  port.on('message', (call: WorkerCall) => {
    void (async () => {
      try {
        db ??= await opening;
        const method = (db as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>)[call.method];
        if (typeof method !== 'function') throw new Error(`no method ${call.method} on the embedded database`);
        const value = await method.apply(db, call.args);
        send({ type: 'result', id: call.id, ok: true, value, settings: settings() });
        if (call.method === 'close') port.close();
      } catch (error) {
        send({ type: 'result', id: call.id, ok: false, error: serializeError(error), settings: settings() });
      }
    })();
  });
  opening = openPglite(dataDir, { cacheDir, onCreate: (source, templateDir) => send({ type: 'created', source, templateDir }) });
  try {
    db = await opening;
    const entries = Object.entries(db as unknown as Record<string, unknown>);
    send({
      type: 'ready',
      properties: Object.fromEntries(entries.filter(([, v]) => typeof v !== 'function')),
      methods: entries.filter(([k, v]) => typeof v === 'function' && k !== 'reportedSetting').map(([k]) => k),
      settings: settings(),
    });
  } catch (error) {
    send({ type: 'result', id: 0, ok: false, error: serializeError(error), settings: {} });
    port.close();
  }
}
