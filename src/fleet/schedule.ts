/**
 * Runs `run` for each of `count` targets, `parallel` at a time, in the order given. Once `signal`
 * aborts (Ctrl-C) or, with `failFast`, once a run `isFailure`, no new target starts and the runs
 * in progress are asked to stop at their next revision boundary (the signal they were given);
 * the targets never started are left undefined in the result.
 */
export async function forEachTarget<R>(
  count: number,
  options: { parallel: number; failFast: boolean; signal?: AbortSignal | undefined },
  run: (index: number, signal: AbortSignal) => Promise<R>,
  isFailure: (result: R) => boolean,
): Promise<Array<R | undefined>> {
  const results: Array<R | undefined> = new Array<R | undefined>(count).fill(undefined);
  const stop = new AbortController();
  const stopNow = () => stop.abort();
  if (options.signal?.aborted) stop.abort();
  options.signal?.addEventListener('abort', stopNow);
  let next = 0;
  const worker = async () => {
    while (!stop.signal.aborted && next < count) {
      const index = next++;
      const result = await run(index, stop.signal);
      results[index] = result;
      if (options.failFast && isFailure(result)) stop.abort();
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.max(1, Math.min(options.parallel, count)) }, worker));
  } finally {
    options.signal?.removeEventListener('abort', stopNow);
  }
  return results;
}
