import { createRedactor } from '../text/redact.js';

/**
 * The last line of defence for passwords: everything this process writes to stdout and stderr
 * passes through the redactor of the connection URLs it was given (messages are redacted where
 * they are made too; this catches what a dependency or an unexpected error puts in its text).
 */
export function redactOutput(urls: readonly string[]): void {
  const redact = createRedactor(urls);
  for (const stream of [process.stdout, process.stderr]) {
    const write = stream.write.bind(stream) as (chunk: unknown, ...rest: unknown[]) => boolean;
    stream.write = ((chunk: unknown, ...rest: unknown[]) =>
      write(typeof chunk === 'string' ? redact(chunk) : chunk instanceof Uint8Array ? redact(Buffer.from(chunk).toString('utf8')) : chunk, ...rest)) as typeof stream.write;
  }
}
