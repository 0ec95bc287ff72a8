/**
 * One run at a time. A trigger while a run is going marks the queue dirty; when the run ends,
 * a dirty queue runs exactly once more, so the last save is always seen and runs never overlap.
 * Triggers arriving in the same turn of the event loop (an editor's truncate + write, an atomic
 * rename) start a single run: the start is deferred with setImmediate, which costs no latency.
 */
export interface RunQueue {
  trigger(): void;
  /** true while a run is going or about to start */
  readonly isBusy: boolean;
  /** no more runs; resolves when the run in progress (if any) has ended */
  close(): Promise<void>;
}

export function createRunQueue(run: () => Promise<void>, onError: (error: unknown) => void): RunQueue {
  let active: Promise<void> | undefined;
  let isScheduled = false;
  let isDirty = false;
  let isClosed = false;

  const loop = async () => {
    do {
      isDirty = false;
      try {
        await run();
      } catch (error) {
        onError(error);
      }
    } while (isDirty && !isClosed);
    active = undefined;
  };

  return {
    trigger() {
      if (isClosed) return;
      if (active) {
        isDirty = true;
        return;
      }
      if (isScheduled) return;
      isScheduled = true;
      setImmediate(() => {
        isScheduled = false;
        if (isClosed) return;
        active = loop();
      });
    },
    get isBusy() {
      return active !== undefined || isScheduled;
    },
    async close() {
      isClosed = true;
      await active;
    },
  };
}
