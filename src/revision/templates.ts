import { normaliseForChecksum } from './checksums.js';

/**
 * The files `strata new` writes, in one place: `up` refuses an up.sql whose body is still this
 * template (applying it would record a revision nobody wrote), and nothing else that has no
 * statements — a body of comments only is a deliberate no-op (a step whose work moved to
 * application code) and is applied and recorded.
 */
export const UP_TEMPLATE_BODY = '\n';

export const DOWN_TEMPLATE = '-- Undo everything up.sql does, in reverse order.\n-- If it cannot be undone, replace this with: --! Irreversible: <why>\n\n';

export function upTemplate(parent: string, message: string): string {
  return `--! Parent: ${parent}\n--! Message: ${message}\n${UP_TEMPLATE_BODY}`;
}

/**
 * True when `body` is the template's, as checksums compare bodies: a checkout that turned it into
 * CRLF or an editor that added blank lines has not written anything either.
 */
export function isUntouchedTemplate(body: string): boolean {
  return normaliseForChecksum(body) === normaliseForChecksum(UP_TEMPLATE_BODY);
}

/**
 * The files `strata new --from-schema` writes: the generated bodies under a header that names the
 * parent and the message, and says `Transaction: off` in a file whose SQL cannot run in one.
 */
export function generatedRevisionTexts(parent: string, message: string, bodies: { up: string; down: string }, isTransactional: { up: boolean; down: boolean }): { up: string; down: string } {
  const off = '--! Transaction: off\n';
  return {
    up: `--! Parent: ${parent}\n--! Message: ${message}\n${isTransactional.up ? '' : off}\n${bodies.up}`,
    down: `${isTransactional.down ? '' : `${off}\n`}${bodies.down}`,
  };
}
