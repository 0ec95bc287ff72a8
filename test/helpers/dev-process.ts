import { spawnCli, type CliProcess } from './harness.js';

/** A running `strata dev` (the built CLI), driven by writing files and read through its output. */
export type DevProcess = CliProcess;

export function startDev(cwd: string, env: Record<string, string | undefined>, args: string[] = []): DevProcess {
  return spawnCli(['dev', ...args], { cwd, env });
}

/** Polls `check` until it returns a truthy value; fails with `what` after the deadline. */
export async function until<T>(check: () => Promise<T> | T, what: string, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? ` (last error: ${(last as Error).message})` : ''}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
