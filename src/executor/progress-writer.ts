import type { ScriptResult, SqlErrorInfo } from '../db/database.js';
import { advanceProgressSql, clearProgressSql, failProgressSql, startProgressSql, statementChecksum } from '../db/progress.js';
import type { Step } from '../plan/plan.js';
import type { ScriptStatement } from '../sql/split-statements.js';
import type { RunState } from './run-state.js';

/**
 * What a Transaction: off step writes to `<schema>.progress` as it goes (db/progress.ts): the row
 * as it starts, each statement that took effect (one more round trip per statement, only for
 * these steps), the statement that failed, and the row's end with the step's record.
 *
 * The updates go through the run lock's own connection where there is one: the revision's
 * statements may have changed their session (SET ROLE, SET SESSION AUTHORIZATION, a read-only
 * default) until the reset after them, and that connection is still there when the run's is lost.
 */
export class ProgressWriter {
  private done: number;

  constructor(private readonly run: RunState, private readonly step: Step, private readonly statements: readonly ScriptStatement[], from: number) {
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
    const result = await this.send(advanceProgressSql(this.run.options.schema, this.step.id, this.step.direction, index + 1, added));
    if (result.ok) this.done = index + 1;
    return result;
  }

  /** Statement `index` failed (and took no effect): recorded; gives the statement (1-based) the next run resumes at, when recorded. */
  async failed(index: number, error: SqlErrorInfo): Promise<number | undefined> {
    const result = await this.send(this.failSql(index, error));
    return result.ok ? this.done + 1 : undefined;
  }

  /** The same when the run's connection ended while statement `index` was aborted by the server. */
  failedElsewhere(index: number, error: SqlErrorInfo): Promise<number | undefined> {
    return this.failed(index, error);
  }

  private async send(text: string): Promise<ScriptResult> {
    const { db, session } = this.run;
    // one session only (PGlite): in a transaction of its own, as strata's own role and writable, whatever the revision set for the session
    if (!db.lockSession) return session.status === 'idle' ? session.run(`begin read write;\nset local session authorization default;\nset local role none;\n${text}\ncommit;`) : { ok: false, error: { code: '25001', message: 'in a transaction block', severity: 'ERROR', detail: undefined, hint: undefined, position: undefined, internalPosition: undefined, internalQuery: undefined, where: undefined }, completedStatements: 0, commands: [], status: session.status };
    try {
      return await (await db.lockSession()).runScript(text);
    } catch (error) {
      return { ok: false, error: { code: '08006', message: (error as Error).message, severity: 'ERROR', detail: undefined, hint: undefined, position: undefined, internalPosition: undefined, internalQuery: undefined, where: undefined }, completedStatements: 0, commands: [], status: undefined };
    }
  }

  clearSql(): string {
    return clearProgressSql(this.run.options.schema, this.step.id, this.step.direction);
  }

  private failSql(index: number, error: SqlErrorInfo): string {
    return failProgressSql(this.run.options.schema, this.step.id, this.step.direction, index + 1, { sqlstate: error.code, message: error.message });
  }
}
