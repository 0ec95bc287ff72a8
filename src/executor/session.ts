import type { Database, ScriptResult, TransactionStatus } from '../db/database.js';
import { connectionLostInfo } from '../db/pg-script.js';
import { PINNED_SETTINGS } from './step-script.js';

/**
 * The executor's model of its connection, kept from what the server says and nothing else: the
 * transaction status of the last ReadyForQuery (is a block open, has it failed?), whether the
 * connection is gone, and the settings the server reports. Every message goes through `run`,
 * which first puts back the settings the statement splitting depends on (PINNED_SETTINGS) if
 * the server reports them changed.
 */
export class Session {
  /** from the last reply; undefined once the connection is lost */
  status: TransactionStatus | undefined = 'idle';

  constructor(readonly db: Database) {}

  get isLost(): boolean {
    return this.status === undefined;
  }

  async run(text: string): Promise<ScriptResult> {
    if (this.isLost) return lostResult('the connection was lost earlier in this run');
    const pinned = await this.pin();
    if (pinned) return pinned;
    return this.send(text);
  }

  /** Rolls back the transaction block the session is in, if any (the server's word: status T or E). */
  async rollbackIfOpen(): Promise<void> {
    if (this.status === 'in-transaction' || this.status === 'failed') await this.send('rollback');
  }

  /**
   * Makes what this session committed durable before it is reported: a synchronous commit of a
   * transaction with an id flushes all WAL before it, deferred commits included.
   */
  async flush(): Promise<void> {
    if (this.status === 'idle') await this.send('select pg_catalog.txid_current();');
  }

  private async pin(): Promise<ScriptResult | undefined> {
    const off = PINNED_SETTINGS.filter((s) => this.db.reportedSetting(s.name) !== s.value);
    if (off.length === 0) return undefined;
    const result = await this.send(off.map((s) => s.sql).join('\n'));
    if (!result.ok) return result;
    // A server reports a setting only when it changes: one that said nothing had it already.
    const still = off.filter((s) => this.db.reportedSetting(s.name) !== undefined && this.db.reportedSetting(s.name) !== s.value);
    if (still.length === 0) return undefined;
    const kept = still.map((s) => `${s.name} = ${this.db.reportedSetting(s.name)}`).join(', ');
    return {
      ok: false, completedStatements: 0, commands: [], status: result.status,
      error: { ...connectionLostInfo(''), code: '22023', severity: 'ERROR', message: `the server kept ${kept} after strata set it; strata reads every script with ${still.map((s) => `${s.name} = ${s.value}`).join(', ')}` },
    };
  }

  private async send(text: string): Promise<ScriptResult> {
    let result: ScriptResult;
    try {
      result = await this.db.runScript(text);
    } catch (error) {
      result = lostResult((error as Error).message);
    }
    this.status = result.status;
    return result;
  }
}

function lostResult(message: string): ScriptResult {
  return { ok: false, error: connectionLostInfo(message), completedStatements: 0, commands: [], status: undefined };
}
