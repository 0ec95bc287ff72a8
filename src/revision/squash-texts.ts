import { problem, type Problem } from '../errors.js';
import { lexSql } from '../sql/lexer.js';
import type { Revision } from './revision.js';

/**
 * The files of a squashed revision (strata squash): up.sql runs the range's up.sql bodies in
 * order, down.sql their down.sql bodies in reverse, each under a comment naming its revision, the
 * statements as written (data changes included). The header names the parent of the range, the
 * message, the revisions replaced and the range's tags. Pure.
 *
 * A `Transaction: off` revision in the range (CREATE INDEX CONCURRENTLY ...) cannot run inside
 * one transaction with the rest: refused with the reason, unless `transactionOff`, which writes the
 * squashed file `Transaction: off` with each transactional body in a BEGIN ... COMMIT block of its
 * own, so that each still applies whole or not at all, as it did.
 */
export interface SquashInput {
  range: readonly Revision[];
  message: string;
  tags: readonly string[];
  transactionOff: boolean;
}

export type SquashTexts = { ok: true; up: string; down: string } | { ok: false; problems: Problem[] };

export function squashTexts({ range, message, tags, transactionOff }: SquashInput): SquashTexts {
  const offUp = range.filter((r) => !r.transactional);
  const offDown = range.filter((r) => !r.down.transactional);
  if (!transactionOff && (offUp.length > 0 || offDown.length > 0)) {
    const first = offUp[0] ?? offDown[0]!;
    const file = offUp.length > 0 ? first.up.path : first.down.path;
    return {
      ok: false,
      problems: [problem('SQUASH_INVALID', {
        file, revision: first.id,
        message: `${first.id} runs outside a transaction (Transaction: off), so the range cannot be squashed into one transactional revision`,
        hint: 'pass --transaction-off to write the squashed revision Transaction: off (each transactional revision of the range then runs in a BEGIN ... COMMIT block of its own), or squash a range that leaves it out',
      })],
    };
  }
  const header = [`--! Parent: ${range[0]!.parent}`, `--! Message: ${message}`, `--! Replaces: ${range.map((r) => r.id).join(', ')}`];
  if (tags.length > 0) header.push(`--! Tags: ${tags.join(', ')}`);
  if (offUp.length > 0) header.push('--! Transaction: off');
  const up = `${header.join('\n')}\n\n${range.map((r) => section(r.id, r.message, r.up.body, offUp.length > 0 && r.transactional)).join('\n\n')}\n`;

  const irreversible = range.find((r) => r.down.irreversible !== undefined);
  const down = irreversible
    ? `--! Irreversible: ${irreversible.down.irreversible} (${irreversible.id}, squashed)\n`
    : `${offDown.length > 0 ? '--! Transaction: off\n\n' : ''}${[...range].reverse().map((r) => section(r.id, `undo ${r.message ?? r.id}`, r.down.body, offDown.length > 0 && r.down.transactional)).join('\n\n')}\n`;
  return { ok: true, up, down };
}

/** One revision's body under a comment naming it; its last statement ends with ';' so that the next body starts a statement of its own. */
function section(id: string, message: string | undefined, body: string, inBlock: boolean): string {
  const text = terminated(body.replace(/^(\s*\n)+/, '').trimEnd());
  const title = `-- ${id}${message ? `: ${message}` : ''}`;
  if (text === '') return `${title}\n-- (no statements)`;
  return inBlock ? `${title}\nbegin;\n${text}\ncommit;` : `${title}\n${text}`;
}

function terminated(body: string): string {
  const last = lexSql(body).tokens.at(-1);
  if (!last || last.kind === 'semicolon') return body;
  return `${body.slice(0, last.end)};${body.slice(last.end)}`;
}
