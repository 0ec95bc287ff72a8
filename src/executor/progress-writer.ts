import type { ScriptResult, SqlErrorInfo } from '../db/database.js';
import { advanceProgressSql, clearProgressSql, failProgressSql, startProgressSql, statementChecksum } from '../db/progress.js';
import type { Step } from '../plan/plan.js';
import type { SqlStatement } from '../sql/split-statements.js';
import type { RunState } from './run-state.js';

/**
 * What a Transaction: off step writes to `<schema>.progress` as it goes (db/progress.ts): the row
 * as it starts, each statement that took effect (one more round trip per statement, only for
 * these steps), the statement that failed, and the row's end with the step's record.
 */
export class ProgressWriter {
  private done: number;

  constructor(private readonly run: RunState, private readonly step: Step, private readonly statements: readonly SqlStatement[], from: number) {
    this.done = from;
  }

  startSql(): string {
    const { options } = this.run;
    const checksums = this.statements.slice(0, this.done).map((s) => statementChecksum(s.text));
    return startProgressSql(options.schema, this.step.id, this.step.direction, this.statements.length, checksums, options.actor);
  }

  /** Statements up to `index` took effect (a block they were in has ended). */
  async advance(index: number): Promise<ScriptResult> {
    const added = this.statements.slice(this.done, index + 1).map((s) => statementChecksum(s.text));
    const result = await this.run.session.run(advanceProgressSql(this.run.options.schema, this.step.id, this.step.direction, index + 1, added));
    if (result.ok) this.done = index + 1;
    return result;
  }

  /** Statement `index` failed and the session is out of any block: recorded; gives the statement (1-based) the next run resumes at, when recorded. */
  async failed(index: number, error: SqlErrorInfo): Promise<number | undefined> {
    if (this.run.session.status !== 'idle') return undefined;
    const result = await this.run.session.run(this.failSql(index, error));
    return result.ok ? this.done + 1 : undefined;
  }

  /** The same through a new session, when the run's connection ended while statement `index` was aborted by the server. */
  async failedElsewhere(index: number, error: SqlErrorInfo): Promise<number | undefined> {
    const { db } = this.run;
    if (!db.openSession) return undefined;
    try {
      const other = await db.openSession('strata (recording progress)');
      try {
        const result = await other.runScript(this.failSql(index, error));
        return result.ok ? this.done + 1 : undefined;
      } finally {
        await other.close();
      }
    } catch {
      return undefined;
    }
  }

  clearSql(): string {
    return clearProgressSql(this.run.options.schema, this.step.id, this.step.direction);
  }

  private failSql(index: number, error: SqlErrorInfo): string {
    return failProgressSql(this.run.options.schema, this.step.id, this.step.direction, index + 1, { sqlstate: error.code, message: error.message });
  }
}
