import { lexSql } from '../sql/lexer.js';
import { quoteIdent, unquote } from './identities.js';

/**
 * What the generator reads in the SQL texts of a snapshot (all written by the server with
 * search_path = pg_catalog, so every name outside a table's own columns is qualified): a table's
 * column definitions, a view's select list, the names a routine's body refers to, and names
 * renamed token by token. Token level, never inside string literals or comments. Pure.
 */

interface Token {
  start: number;
  end: number;
  text: string;
}

function tokensOf(text: string): Token[] {
  return lexSql(text).tokens.map((t) => ({ start: t.start, end: t.end, text: text.slice(t.start, t.end) }));
}

function isIdentifier(token: Token | undefined): boolean {
  if (!token) return false;
  return token.text.startsWith('"') || (/^[A-Za-z_\u0080-\uffff][A-Za-z0-9_$\u0080-\uffff]*$/.test(token.text));
}

/** an unquoted word that quote_ident would quote: a reserved keyword, never a name as it stands */
function isKeyword(token: Token): boolean {
  return !token.text.startsWith('"') && normalisedIdentifier(token.text).startsWith('"');
}

/** An identifier token as quote_ident writes the name it stands for (unquoted names fold to lower case) */
export function normalisedIdentifier(text: string): string {
  return quoteIdent(text.startsWith('"') ? unquote(text) : text.toLowerCase());
}

/** The top-level items of the parenthesised list that starts at tokens[open] ('('), and the index of its ')' */
function listItems(text: string, tokens: Token[], open: number): { items: string[]; close: number } {
  const items: string[] = [];
  let depth = 0;
  let itemStart = tokens[open]!.end;
  for (let k = open; k < tokens.length; k++) {
    const t = tokens[k]!.text;
    if (t === '(' || t === '[') depth++;
    else if (t === ')' || t === ']') {
      depth--;
      if (depth === 0) {
        const last = text.slice(itemStart, tokens[k]!.start).trim();
        if (last !== '') items.push(last);
        return { items, close: k };
      }
    } else if (t === ',' && depth === 1) {
      items.push(text.slice(itemStart, tokens[k]!.start).trim());
      itemStart = tokens[k]!.end;
    }
  }
  return { items, close: tokens.length };
}

/**
 * The columns a CREATE TABLE writes (its local columns, in order): each one's quoted name and its
 * whole definition as written (`note text default 'x'::text not null`). Undefined for a statement
 * that has no column list (a partition).
 */
export function tableColumns(create: string): Array<{ name: string; definition: string }> | undefined {
  const tokens = tokensOf(create);
  const statementEnd = tokens.findIndex((t) => t.text === ';');
  const head = tokens.slice(0, statementEnd === -1 ? tokens.length : statementEnd);
  const open = head.findIndex((t) => t.text === '(');
  // `create table x partition of y for values ...`: no list of its own (the '(' is the bound's)
  if (open === -1 || head.slice(0, open).some((t) => t.text.toLowerCase() === 'partition')) return undefined;
  const { items } = listItems(create, tokens, open);
  return items.map((definition) => ({ name: normalisedIdentifier(tokensOf(definition)[0]!.text), definition }));
}

/**
 * A view's query split as `SELECT <targets> <rest>`: the top-level select list and everything
 * from its FROM on. Undefined for what is not one plain SELECT (WITH, DISTINCT, VALUES, a UNION).
 */
export function selectParts(definition: string): { targets: string[]; rest: string } | undefined {
  const tokens = tokensOf(definition);
  if (tokens[0]?.text.toUpperCase() !== 'SELECT' || tokens[1]?.text.toUpperCase() === 'DISTINCT') return undefined;
  let depth = 0;
  let itemStart = tokens[0].end;
  const targets: string[] = [];
  let restStart = definition.length;
  for (let k = 1; k < tokens.length; k++) {
    const t = tokens[k]!.text;
    const upper = t.toUpperCase();
    if (t === '(' || t === '[') depth++;
    else if (t === ')' || t === ']') depth--;
    else if (depth === 0 && (upper === 'UNION' || upper === 'INTERSECT' || upper === 'EXCEPT')) return undefined;
    else if (depth === 0 && t === ',') {
      targets.push(definition.slice(itemStart, tokens[k]!.start).trim());
      itemStart = tokens[k]!.end;
    } else if (depth === 0 && restStart === definition.length && (upper === 'FROM' || upper === 'WHERE' || upper === 'GROUP' || upper === 'HAVING' || upper === 'WINDOW' || upper === 'ORDER' || upper === 'LIMIT' || upper === 'OFFSET')) {
      targets.push(definition.slice(itemStart, tokens[k]!.start).trim());
      restStart = tokens[k]!.start;
    }
  }
  if (restStart !== definition.length) return { targets, rest: definition.slice(restStart).trim() };
  targets.push(definition.slice(itemStart, restStart).trim());
  return { targets, rest: definition.slice(restStart).trim() };
}

/** Replaces tokens, from the end so that earlier offsets stay right. */
function replaceTokens(text: string, cuts: Array<{ start: number; end: number; by: string }>): string {
  let result = text;
  for (const cut of [...cuts].sort((a, b) => b.start - a.start)) result = result.slice(0, cut.start) + cut.by + result.slice(cut.end);
  return result;
}

/**
 * `from` (the quoted parts of a qualified name, e.g. ['public', 'orders']) replaced by `to`
 * wherever the text names it as a whole (not as the tail of a longer name). With `prefixOnly`,
 * only where more parts follow (a schema: `public.` of `public.orders`).
 */
export function renameQualified(text: string, from: readonly string[], to: readonly string[], prefixOnly = false): string {
  if (!text.includes(unquote(from[from.length - 1]!)) && !text.includes(from[from.length - 1]!)) return text;
  const tokens = tokensOf(text);
  const cuts: Array<{ start: number; end: number; by: string }> = [];
  for (let k = 0; k < tokens.length; k++) {
    if (tokens[k - 1]?.text === '.') continue;
    let at = k;
    let matched = true;
    for (let p = 0; p < from.length; p++) {
      const token = tokens[at];
      if (!isIdentifier(token) || isKeyword(token!) || normalisedIdentifier(token!.text) !== from[p]) {
        matched = false;
        break;
      }
      at++;
      if (p < from.length - 1) {
        if (tokens[at]?.text !== '.') {
          matched = false;
          break;
        }
        at++;
      }
    }
    if (!matched) continue;
    const following = tokens[at]?.text;
    if (prefixOnly ? following !== '.' : following === '.' && from.length === 1) continue;
    cuts.push({ start: tokens[k]!.start, end: tokens[at - 1]!.end, by: to.join('.') });
    k = at - 1;
  }
  return cuts.length === 0 ? text : replaceTokens(text, cuts);
}

/** A bare name (a column in its table's constraint, index or policy) replaced: not a qualified name's tail, not a function's name */
export function renameBare(text: string, from: string, to: string): string {
  const tokens = tokensOf(text);
  const cuts: Array<{ start: number; end: number; by: string }> = [];
  tokens.forEach((token, k) => {
    if (!isIdentifier(token) || isKeyword(token) || normalisedIdentifier(token.text) !== from) return;
    if (tokens[k - 1]?.text === '.' || tokens[k + 1]?.text === '(' || tokens[k + 1]?.text === '.') return;
    cuts.push({ start: token.start, end: token.end, by: to });
  });
  return cuts.length === 0 ? text : replaceTokens(text, cuts);
}

/** The names a routine's body (or any SQL) mentions: each a list of quoted parts (`public.orders` -> ['public', 'orders']) */
export function mentionedNames(text: string): string[][] {
  const tokens = tokensOf(text);
  const names: string[][] = [];
  for (let k = 0; k < tokens.length; k++) {
    if (!isIdentifier(tokens[k]) || tokens[k - 1]?.text === '.') continue;
    const parts = [normalisedIdentifier(tokens[k]!.text)];
    while (tokens[k + 1]?.text === '.' && isIdentifier(tokens[k + 2])) {
      parts.push(normalisedIdentifier(tokens[k + 2]!.text));
      k += 2;
    }
    names.push(parts);
  }
  // a dollar-quoted or quoted body inside the text (a DO block, EXECUTE '...'): its names too
  for (const token of tokens) {
    const inner = token.text.match(/^\$([A-Za-z_]*)\$([\s\S]*)\$\1\$$/);
    if (inner) names.push(...mentionedNames(inner[2]!));
  }
  return names;
}

/**
 * The statements of a create text (schema.sql's text of one object), split at the semicolons
 * outside parentheses (a rule's `DO INSTEAD (a; b)` stays whole), each ending with ';'.
 * A routine's text is always one statement (a BEGIN ATOMIC body has semicolons of its own).
 */
export function splitCreate(text: string): string[] {
  const tokens = tokensOf(text);
  const statements: string[] = [];
  let depth = 0;
  let start = 0;
  for (const token of tokens) {
    if (token.text === '(') depth++;
    else if (token.text === ')') depth--;
    else if (token.text === ';' && depth === 0) {
      statements.push(text.slice(start, token.end).trim());
      start = token.end;
    }
  }
  const rest = text.slice(start).trim();
  if (rest !== '') statements.push(rest);
  return statements;
}
