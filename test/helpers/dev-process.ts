import { spawn, type ChildProcess } from 'node:child_process';
import { cliPath } from './harness.js';

/** A running `strata dev` (the built CLI), driven by writing files and read through its output. */
export interface DevProcess {
  readonly child: ChildProcess;
  /** stdout and stderr as they arrived */
  output(): string;
  stdout(): string;
  stderr(): string;
  /** a position in output(), to wait for what comes after it */
  mark(): number;
  /** the first match of `pattern` in the output after `from`; fails after the timeout (or when the process exits) */
  waitFor(pattern: RegExp, from?: number, timeoutMs?: number): Promise<RegExpExecArray>;
  /** sends the signal and resolves when the process has exited, with how long that took */
  stop(signal?: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null; ms: number }>;
  /** SIGKILL if still running (cleanup after a failed test) */
  kill(): void;
}

export function startDev(cwd: string, env: Record<string, string | undefined>, args: string[] = []): DevProcess {
  const fullEnv: Record<string, string | undefined> = { ...process.env, NO_COLOR: '1', DATABASE_URL: undefined, STRATA_DIR: undefined, STRATA_SCHEMA: undefined, ...env };
  for (const key of Object.keys(fullEnv)) if (fullEnv[key] === undefined) delete fullEnv[key];
  const child = spawn(process.execPath, [cliPath, 'dev', ...args], { cwd, env: fullEnv as NodeJS.ProcessEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => {
    out += d;
    stdout += d;
  });
  child.stderr!.on('data', (d) => {
    out += d;
    stderr += d;
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    child,
    output: () => out,
    stdout: () => stdout,
    stderr: () => stderr,
    mark: () => out.length,
    async waitFor(pattern, from = 0, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      const flags = pattern.flags.replace('g', '');
      for (;;) {
        const match = new RegExp(pattern.source, flags).exec(out.slice(from));
        if (match) return match;
        if (child.exitCode !== null || child.signalCode !== null) {
          throw new Error(`strata dev exited (${child.exitCode ?? child.signalCode}) before printing ${pattern}; output:\n${out}`);
        }
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${pattern}; output after the mark:\n${out.slice(from)}\n--- whole output:\n${out}`);
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    },
    async stop(signal = 'SIGINT') {
      const started = performance.now();
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
      return { code: child.exitCode, signal: child.signalCode, ms: performance.now() - started };
    },
    kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
  };
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
