import type { TransactionStatus } from '../db/database.js';
import type { ScriptStatement } from '../sql/split-statements.js';

/**
 * Which statements of a Transaction: off step took effect, followed from the server's replies to
 * each statement sent on its own: the transaction status of the ReadyForQuery after it (is a block
 * open?) and its CommandComplete tag (did the block end in COMMIT or ROLLBACK? A COMMIT of a failed
 * block answers ROLLBACK). A statement outside a block took effect when it completed; one inside
 * a block takes effect when the block commits, and is undone when it rolls back, or when a
 * ROLLBACK TO goes back past it. Only the savepoint a statement names comes from the statement
 * itself. Pure.
 */
export type Fate = 'took-effect' | 'rolled-back' | 'prepared' | 'failed';

export class StatementEffects {
  readonly fates = new Map<number, Fate>();
  /** statements in the open block, in order, not yet committed or undone */
  private open: number[] = [];
  private savepoints: Array<{ name: string | undefined; at: number }> = [];
  /** the statement that opened the block the session is in */
  opener: number | undefined;

  constructor(private readonly statements: readonly ScriptStatement[]) {}

  get isInBlock(): boolean {
    return this.opener !== undefined;
  }

  /** The first `count` statements took effect in an earlier run (the step resumes after them). */
  tookEffectBefore(count: number): void {
    for (let i = 0; i < count; i++) this.fates.set(i, 'took-effect');
  }

  /** Statement `index` completed; `tag` and `after` are what the server answered. */
  completed(index: number, tag: string, before: TransactionStatus, after: TransactionStatus): void {
    const control = this.statements[index]?.transaction;
    const command = tag.split(' ')[0];
    if (before === 'idle') {
      if (after === 'idle') this.fates.set(index, 'took-effect');
      else this.openBlock(index);
      return;
    }
    if (after === 'idle') {
      this.settle([...this.open, index], command === 'COMMIT' ? 'took-effect' : command === 'PREPARE' ? 'prepared' : 'rolled-back');
      this.closeBlock();
      return;
    }
    // still in a block: a savepoint, a release, a rollback to, or a COMMIT/ROLLBACK AND CHAIN
    if (control?.chain && (control.kind === 'commit' || control.kind === 'rollback')) {
      this.settle([...this.open, index], command === 'COMMIT' ? 'took-effect' : 'rolled-back');
      this.closeBlock();
      this.openBlock(index);
      this.open = [];
      return;
    }
    // a savepoint stands for what comes after it (the SAVEPOINT itself stays with the block)
    if (control?.kind === 'savepoint') this.savepoints.push({ name: control.savepoint, at: this.open.length + 1 });
    else if (control?.kind === 'release') this.savepoints.splice(Math.max(this.lastSavepoint(control.savepoint), 0));
    else if (control?.kind === 'rollback-to') {
      const k = this.lastSavepoint(control.savepoint);
      if (k !== -1) {
        const at = this.savepoints[k]!.at;
        this.settle(this.open.splice(at), 'rolled-back');
        this.savepoints.splice(k + 1);
      }
    }
    this.open.push(index);
  }

  /** Statement `index` failed; `before` and `after` are the statuses around it. */
  failed(index: number, before: TransactionStatus, after: TransactionStatus | undefined): void {
    this.fates.set(index, 'failed');
    // an error in a block aborts it (strata rolls it back); a COMMIT that fails has rolled it back
    if (before !== 'idle' && after !== undefined) this.rollBackOpenBlock();
  }

  /** The open block was rolled back (by strata, or by the server when the connection ended). */
  rollBackOpenBlock(): void {
    this.settle(this.open, 'rolled-back');
    this.closeBlock();
  }

  indexesWith(fate: Fate): number[] {
    return [...this.fates].filter(([, f]) => f === fate).map(([i]) => i).sort((a, b) => a - b);
  }

  private openBlock(index: number): void {
    this.opener = index;
    this.open = [index];
    this.savepoints = [];
  }

  private closeBlock(): void {
    this.opener = undefined;
    this.open = [];
    this.savepoints = [];
  }

  private settle(indexes: readonly number[], fate: Fate): void {
    for (const i of indexes) this.fates.set(i, fate);
  }

  private lastSavepoint(name: string | undefined): number {
    for (let k = this.savepoints.length - 1; k >= 0; k--) if (this.savepoints[k]!.name === name) return k;
    return -1;
  }
}

/** "1–2, 5" for [0, 1, 4]; `label` turns a 0-based index into what is printed. */
export function describeRanges(indexes: readonly number[], label: (index: number) => number): string {
  const parts: string[] = [];
  for (let k = 0; k < indexes.length;) {
    let end = k;
    while (end + 1 < indexes.length && indexes[end + 1] === indexes[end]! + 1) end++;
    const first = label(indexes[k]!);
    const last = label(indexes[end]!);
    parts.push(first === last ? `${first}` : `${first}–${last}`);
    k = end + 1;
  }
  return parts.join(', ');
}

/** "statements 1–2 of 4 (lines 4–5)", "statement 3 of 4 (line 6)"; `line` gives a statement's first line. */
export function describeStatements(indexes: readonly number[], total: number, line: (index: number) => number): string {
  const many = indexes.length > 1;
  const numbers = describeRanges(indexes, (i) => i + 1);
  const lines = [...new Set(indexes.map(line))];
  const lineText = lines.length === 1 ? `line ${lines[0]}` : `lines ${describeRanges(indexes, line)}`;
  return `${many ? 'statements' : 'statement'} ${numbers} of ${total} (${lineText})`;
}
