import v8 from 'node:v8';

let depth = 0;

/**
 * V8 compiles WebAssembly with its baseline compiler (Liftoff) and then recompiles hot functions
 * with TurboFan on background threads. For a short CLI run that tier-up is pure cost: parsing 1000
 * revisions with libpg-query took 0.37 s of CPU and 115 MB peak RSS with it, 0.16 s and 65 MB
 * without; opening PGlite's 8.7 MB engine, 0.9 s of CPU and 340 MB with it, 0.45 s and 250 MB
 * without (bench/, node 20). The flag is read when a module is compiled, so it is set only while
 * `compile` runs (nested or overlapping calls share it) and restored after.
 */
export async function withoutWasmTierUp<T>(compile: () => Promise<T>): Promise<T> {
  const isAlreadyOn = process.execArgv.includes('--liftoff-only');
  if (!isAlreadyOn && depth++ === 0) {
    // V8 takes the flags into its cached code's checks, and --liftoff-only implies others that
    // --no-liftoff-only does not reset: the command's compiled-code cache (cli/start.ts) is taken now
    (globalThis as { strataBeforeV8FlagsChange?: () => void }).strataBeforeV8FlagsChange?.();
    v8.setFlagsFromString('--liftoff-only');
  }
  try {
    return await compile();
  } finally {
    if (!isAlreadyOn && --depth === 0) v8.setFlagsFromString('--no-liftoff-only');
  }
}
