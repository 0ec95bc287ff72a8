import { onStopSignals } from './stop-signals.js';
import type { Problem } from '../errors.js';
import type { DevEvent, DevResult, DevRun, DevSession } from '../watch/dev-events.js';
import { formatFailure, formatProblems, toJson, type Style } from './output.js';

export function isDevEvent(event: { type: string }): event is DevEvent {
  return event.type.startsWith('dev-');
}

export interface DevLine {
  text: string;
  isError: boolean;
}

/** One line per run (an error adds its location, caret and hint below it); undefined = print nothing. */
export function formatDevEvent(event: DevEvent, styles: { out: Style; err: Style }, isQuiet = false, now = new Date()): DevLine | undefined {
  const { out, err } = styles;
  switch (event.type) {
    case 'dev-watching': {
      if (isQuiet) return undefined;
      const how = event.pollIntervalMs === null ? 'native file events' : `polling every ${event.pollIntervalMs} ms`;
      const embedded = event.isEmbedded ? '; no other strata command can open this database until dev stops' : '';
      return { text: `watching ${event.dir} (${how}) on ${event.database}${embedded}. Ctrl-C to stop.`, isError: false };
    }
    case 'dev-warning':
      return { text: `${clock(now, err)}${err.yellow('warning')}: ${event.message}`, isError: true };
    case 'dev-stopped':
      return isQuiet ? undefined : { text: out.dim(`stopped after ${event.runs} ${event.runs === 1 ? 'run' : 'runs'}`), isError: false };
    case 'dev-run':
      return formatDevRun(event.run, styles, isQuiet, now);
  }
}

function formatDevRun(run: DevRun, { out, err }: { out: Style; err: Style }, isQuiet: boolean, now: Date): DevLine | undefined {
  const took = (style: Style) => style.dim(`in ${run.durationMs} ms`);
  const ok = (text: string): DevLine | undefined => (isQuiet ? undefined : { text: `${clock(now, out)}${text}`, isError: false });
  switch (run.status) {
    case 'applied': {
      const what = run.ids.length === 1 ? run.ids[0]! : `${run.ids.length} revisions (${run.ids[0]} … ${run.ids.at(-1)})`;
      const why = run.trigger === 'startup' ? '' : out.dim(' (new revision: re-applied on every save from now on)');
      return ok(`${out.green('applied')} ${what} ${took(out)}${why}`);
    }
    case 're-applied': {
      const down = run.steps.find((s) => s.direction === 'down');
      const how = down?.source === 'stored'
        ? 'reverted with the down.sql stored when it was applied'
        : `reverted with the down.sql on disk${run.changed === 'down' ? '' : ', as the stored one has no SQL'}`;
      return ok(`${out.green('re-applied')} ${run.id} ${took(out)} ${out.dim(`(${run.changed === 'up and down' ? 'up.sql and down.sql' : `${run.changed}.sql`} changed; ${how})`)}`);
    }
    case 'reverted':
      return ok(`${out.yellow('reverted')} ${run.ids.join(', ')} ${took(out)} ${out.dim(`(folder deleted; used the down.sql stored when it was applied); now at ${run.now}`)}`);
    case 'unchanged':
      if (run.isStartup) return ok(run.head ? `database at head (${run.head})` : 'no revisions yet: create one with strata new "<message>"');
      return ok(`unchanged: ${run.head ?? 'the migrations folder'} matches what is applied`);
    case 'waiting':
      return ok(out.dim(`waiting for ${run.id}: ${run.problems.map(waitingReason).join(', ')}`));
    case 'not-reapplied':
      return { text: run.revisions.map((r) => `${clock(now, err)}${err.yellow('not re-applied')}: ${olderEditText(r, run.head)}`).join('\n'), isError: true };
    case 'invalid':
      return { text: `${clock(now, err)}${problemsText(run.problems, err)}`, isError: true };
    case 'failed': {
      if (run.wasInterrupted) return { text: `${clock(now, err)}${err.yellow('interrupted')}: ${run.failure.effects}`, isError: true };
      return { text: `${clock(now, err)}${formatFailure(run.failure, err)}\n  ${err.dim('waiting for the next save')}`, isError: true };
    }
    case 'error':
      return { text: `${clock(now, err)}${err.red('error')}: ${run.message}\n  ${err.dim('trying again at the next save')}`, isError: true };
  }
}

function olderEditText(edit: { id: string; file: string; parent: string; isBlocking: boolean; restoreCommand?: string | undefined }, head: string | null): string {
  if (!edit.isBlocking) {
    return `${edit.file} changed, but ${edit.id} is not the newest revision: nothing ran (strata down uses the new down.sql when it reverts ${edit.id})`;
  }
  const restore = edit.restoreCommand;
  return `${edit.file} changed, but only the newest revision${head ? ` (${head})` : ''} is re-applied on save, and nothing is applied until it is restored`
    + `${restore ? ` (${restore})` : ''}; to change ${edit.id}, put the change in a new revision (strata new "<message>"), or revert to before it (strata down ${edit.parent}) and run strata up`;
}

function waitingReason(p: Problem): string {
  const file = p.file?.split('/').at(-1) ?? 'a file';
  return p.code === 'SQL_EMPTY' ? `${file} has no SQL yet` : `${file} is missing`;
}

function problemsText(problems: readonly Problem[], style: Style): string {
  return formatProblems(problems, style, 'nothing ran and the database is unchanged. Waiting for the next save.');
}

function clock(now: Date, style: Style): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return style.dim(`${pad(now.getHours())}:${pad(now.getMinutes())}:${pad(now.getSeconds())} `);
}

/** --json: one compact JSON object per line and event (the same null conventions as the other reports). */
export function devEventJson(event: DevEvent): string {
  return JSON.stringify(JSON.parse(toJson(event)));
}

/**
 * Ctrl-C or SIGTERM stops the session (a run in progress is cancelled and rolls back); a second
 * one exits at once. Resolves with the session's result.
 */
export async function untilStopped(session: DevSession): Promise<DevResult> {
  const removeHandlers = onStopSignals(() => void session.stop());
  try {
    return await session.done;
  } finally {
    removeHandlers();
    // Everything strata opened is closed by now. chokidar may still have file reads in flight that
    // it started before it was closed; they must not hold the exit back.
    setTimeout(() => process.exit(), 100).unref();
  }
}
