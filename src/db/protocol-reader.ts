import { sqlErrorInfo, type ScriptResult, type SqlErrorInfo, type TransactionStatus } from './database.js';

/**
 * Reads a stream of PostgreSQL backend messages (type byte, int32 length, body) in chunks of any
 * size, keeping only what a script's outcome needs: CommandComplete tags, the first ErrorResponse,
 * ParameterStatus values and the ReadyForQuery status. Rows and copy data are skipped without
 * being copied, so memory stays flat whatever a script returns. Pure.
 */
export class BackendMessageReader {
  readonly commands: string[] = [];
  error: SqlErrorInfo | undefined;
  status: TransactionStatus | undefined;
  private readonly header = new Uint8Array(5);
  private headerLength = 0;
  private type = 0;
  /** body bytes still to come for the current message */
  private remaining = 0;
  /** the body of a message that is kept (undefined: skipped) */
  private body: Uint8Array | undefined;
  private bodyLength = 0;

  constructor(private readonly onParameter: (name: string, value: string) => void = () => {}) {}

  /** `chunk` may be a view that changes after the call: nothing of it is kept without a copy. */
  push(chunk: Uint8Array): void {
    let at = 0;
    while (at < chunk.length) {
      if (this.headerLength < 5) {
        const take = Math.min(5 - this.headerLength, chunk.length - at);
        this.header.set(chunk.subarray(at, at + take), this.headerLength);
        this.headerLength += take;
        at += take;
        if (this.headerLength < 5) return;
        this.type = this.header[0]!;
        const length = ((this.header[1]! << 24) | (this.header[2]! << 16) | (this.header[3]! << 8) | this.header[4]!) >>> 0;
        this.remaining = Math.max(length - 4, 0);
        this.body = KEPT.has(this.type) ? new Uint8Array(this.remaining) : undefined;
        this.bodyLength = 0;
      }
      const take = Math.min(this.remaining, chunk.length - at);
      if (this.body) this.body.set(chunk.subarray(at, at + take), this.bodyLength);
      this.bodyLength += take;
      this.remaining -= take;
      at += take;
      if (this.remaining === 0) {
        this.finish(this.type, this.body);
        this.headerLength = 0;
        this.body = undefined;
      }
    }
  }

  /** The script's outcome once the stream has ended. */
  result(): ScriptResult {
    const reply = { commands: this.commands, status: this.status };
    return this.error ? { ok: false, error: this.error, completedStatements: this.commands.length, ...reply } : { ok: true, ...reply };
  }

  private finish(type: number, body: Uint8Array | undefined): void {
    if (!body) return;
    if (type === COMMAND_COMPLETE) this.commands.push(cString(body, 0).text);
    else if (type === READY_FOR_QUERY) this.status = body[0] === 0x49 ? 'idle' : body[0] === 0x54 ? 'in-transaction' : body[0] === 0x45 ? 'failed' : undefined;
    else if (type === PARAMETER_STATUS) {
      const name = cString(body, 0);
      this.onParameter(name.text, cString(body, name.end + 1).text);
    } else if (type === ERROR_RESPONSE && !this.error) this.error = errorFields(body);
  }
}

const COMMAND_COMPLETE = 0x43; // C
const READY_FOR_QUERY = 0x5a; // Z
const PARAMETER_STATUS = 0x53; // S
const ERROR_RESPONSE = 0x45; // E
const KEPT = new Set([COMMAND_COMPLETE, READY_FOR_QUERY, PARAMETER_STATUS, ERROR_RESPONSE]);

const decoder = new TextDecoder();

function cString(bytes: Uint8Array, from: number): { text: string; end: number } {
  let end = bytes.indexOf(0, from);
  if (end === -1) end = bytes.length;
  return { text: decoder.decode(bytes.subarray(from, end)), end };
}

/** ErrorResponse: (field type byte, C string)*, then a zero byte. */
function errorFields(body: Uint8Array): SqlErrorInfo {
  const fields: Record<string, string> = {};
  let at = 0;
  while (at < body.length && body[at] !== 0) {
    const code = String.fromCharCode(body[at]!);
    const value = cString(body, at + 1);
    fields[code] = value.text;
    at = value.end + 1;
  }
  return sqlErrorInfo({
    code: fields.C, message: fields.M, severity: fields.V ?? fields.S, detail: fields.D, hint: fields.H,
    position: fields.P, internalPosition: fields.p, internalQuery: fields.q, where: fields.W,
    table: fields.t, constraint: fields.n,
  }) ?? {
    code: 'XX000', message: fields.M ?? 'unknown error', severity: fields.V ?? fields.S, detail: fields.D, hint: fields.H,
    position: undefined, internalPosition: undefined, internalQuery: undefined, where: fields.W,
  };
}
