/**
 * Which option keys hold a secret (a password, a token, a key ...), for every part of strata that
 * must not repeat one: the catalog reader (schema/introspect/secret-options.ts) and the code
 * frames that show SQL a user wrote (`options (password 'hunter2')` in a revision that fails). Pure.
 */

/** Matched anywhere in an option key, in any case: sslpassword, api_key, aws_secret_access_key ... */
export const SECRET_KEY_PATTERN = 'pass(word|wd|code|phrase)|secret|token|api_?key|private_?key|access_?key|credential';

const SECRET_KEY = new RegExp(SECRET_KEY_PATTERN, 'i');

export function isSecretOptionKey(key: string): boolean {
  return SECRET_KEY.test(key);
}

// a key (bare or quoted) followed by a string literal, as OPTIONS (...) and ALTER ... OPTIONS (SET ...) write them
const KEY_AND_VALUE = /("(?:[^"]|"")+"|[A-Za-z_][A-Za-z0-9_$]*)(\s+)(E?'(?:[^'\\]|''|\\.)*')/g;

/**
 * `line` with the value of each secret option it writes starred out, as long as it was, so that
 * a caret under the line still points where it did: `password 'hunter2'` -> `password '*******'`.
 */
export function maskSecretValues(line: string): string {
  return line.replace(KEY_AND_VALUE, (whole, key: string, space: string, value: string) => {
    if (!isSecretOptionKey(key)) return whole;
    const open = value.indexOf("'");
    return `${key}${space}${value.slice(0, open + 1)}${'*'.repeat(value.length - open - 2)}'`;
  });
}
