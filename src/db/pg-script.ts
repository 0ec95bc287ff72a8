import type { EventEmitter } from 'node:events';
import { sqlErrorInfo, type ScriptResult, type SqlErrorInfo, type TransactionStatus } from './database.js';

/** The protocol's ReadyForQuery status byte. */
export function transactionStatusOf(status: unknown): TransactionStatus | undefined {
  return status === 'I' ? 'idle' : status === 'T' ? 'in-transaction' : status === 'E' ? 'failed' : undefined;
}

export function connectionLostInfo(message: string): SqlErrorInfo {
  return {
    code: '08006', message: `connection lost: ${message}`, severity: 'FATAL',
    detail: undefined, hint: undefined,
    position: undefined, internalPosition: undefined, internalQuery: undefined, where: undefined,
  };
}

/**
 * A simple-protocol script for pg's Client.query(submittable): the driver hands it each backend
 * message. Rows (DataRow, CopyData) are dropped as they arrive, so a revision that ends with a
 * SELECT of millions of rows costs no memory; what is kept is the server's account of the script:
 * a CommandComplete tag per statement and the ReadyForQuery status. After an ERROR the driver
 * detaches the query before the ReadyForQuery that follows, so that one is read off the connection.
 */
export class ScriptSubmittable {
  readonly result: Promise<ScriptResult>;
  private readonly commands: string[] = [];
  private resolve!: (result: ScriptResult) => void;
  private settled = false;

  constructor(private readonly text: string, private readonly statusNow: () => TransactionStatus | undefined) {
    this.result = new Promise((resolve) => (this.resolve = resolve));
  }

  submit(connection: { query(text: string): void }): null {
    connection.query(this.text);
    return null;
  }

  handleRowDescription(): void {}
  handleDataRow(): void {}
  handleEmptyQuery(): void {}
  handlePortalSuspended(): void {}
  handleCopyData(): void {}

  handleCopyInResponse(connection: { sendCopyFail(message: string): void }): void {
    connection.sendCopyFail('COPY FROM STDIN needs data from the client, and strata sends none: load the data with COPY FROM a server file, or INSERT');
  }

  handleCommandComplete(message: { text?: string; command?: string }): void {
    this.commands.push(message.text ?? message.command ?? '');
  }

  handleReadyForQuery(): void {
    this.settle({ ok: true, commands: this.commands, status: this.statusNow() });
  }

  handleError(error: unknown, connection: EventEmitter): void {
    const info = sqlErrorInfo(error);
    const severity = (error as { severity?: unknown }).severity;
    if (!info || severity === 'FATAL' || severity === 'PANIC') {
      // the session is over (terminated, crashed, socket closed): no ReadyForQuery will come
      this.settle({ ok: false, error: info ?? connectionLostInfo((error as Error).message), completedStatements: this.commands.length, commands: this.commands, status: undefined });
      return;
    }
    const done = (status: TransactionStatus | undefined) => {
      connection.off('readyForQuery', onReady);
      connection.off('end', onEnd);
      connection.off('error', onEnd);
      this.settle({ ok: false, error: info, completedStatements: this.commands.length, commands: this.commands, status });
    };
    const onReady = (message: { status?: unknown }) => done(transactionStatusOf(message.status));
    const onEnd = () => done(undefined);
    connection.on('readyForQuery', onReady);
    connection.once('end', onEnd);
    connection.once('error', onEnd);
  }

  private settle(result: ScriptResult): void {
    if (this.settled) return;
    this.settled = true;
    this.resolve(result);
  }
}
