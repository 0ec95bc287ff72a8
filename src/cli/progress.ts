/** Runs with fewer steps than this finish too quickly for a progress line to help. */
export const PROGRESS_MIN_STEPS = 4;

export interface ProgressStream {
  isTTY?: boolean;
  columns?: number;
  write(text: string): unknown;
}

export interface Progress {
  /** a step begins: draw "revision n of N: id (elapsed)" over the previous line */
  step(index: number, total: number, id: string): void;
  /** erase the line until the next step (before printing anything else) */
  clear(): void;
  /** erase the line and stop the clock */
  stop(): void;
}

/**
 * One line on a terminal, rewritten in place with `\r` (padded with spaces, which works on any
 * terminal, rather than an erase sequence), refreshed every second so a long revision shows time
 * passing. Nothing at all when the stream is not a terminal (piped, redirected, CI logs).
 */
export function createProgress(stream: ProgressStream, options: { isEnabled?: boolean; now?: () => number } = {}): Progress {
  const now = options.now ?? (() => performance.now());
  const isEnabled = (options.isEnabled ?? true) && stream.isTTY === true;
  let started: number | undefined;
  let shown = 0;
  let current: { index: number; total: number; id: string } | undefined;
  let timer: ReturnType<typeof setInterval> | undefined;

  const draw = () => {
    if (!current || started === undefined) return;
    const seconds = (now() - started) / 1000;
    const elapsed = seconds < 60 ? `${seconds.toFixed(1)} s` : `${Math.floor(seconds / 60)} min ${Math.floor(seconds % 60)} s`;
    let text = `revision ${current.index + 1} of ${current.total}: ${current.id} (${elapsed})`;
    const width = (stream.columns || 80) - 1;
    if (text.length > width) text = `${text.slice(0, Math.max(0, width - 1))}…`;
    stream.write(`\r${text}${' '.repeat(Math.max(0, shown - text.length))}`);
    shown = text.length;
  };
  const clear = () => {
    current = undefined;
    if (shown === 0) return;
    stream.write(`\r${' '.repeat(shown)}\r`);
    shown = 0;
  };

  return {
    step(index, total, id) {
      if (!isEnabled || total < PROGRESS_MIN_STEPS) return;
      started ??= now();
      current = { index, total, id };
      draw();
      if (!timer) {
        timer = setInterval(draw, 1000);
        timer.unref();
      }
    },
    clear,
    stop() {
      if (timer) clearInterval(timer);
      timer = undefined;
      clear();
    },
  };
}
