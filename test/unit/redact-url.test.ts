import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createRedactor, redactConnectionString, redactDeep, redactUrl } from '../../src/text/redact.js';

const cases: [string, string][] = [
  ['postgres://u:s3cret@127.0.0.1:1/db', 'postgres://u:***@127.0.0.1:1/db'],
  ['postgresql://u:s3cret@db.example:5432/app?sslmode=require', 'postgresql://u:***@db.example:5432/app?sslmode=require'],
  // an unencoded '@' or '/' in the password: no piece of it may show
  ['postgres://u:s3@cr3t@127.0.0.1/db', 'postgres://u:***@127.0.0.1/db'],
  ['postgres://u:pa/ss@127.0.0.1/db', 'postgres://u:***@127.0.0.1/db'],
  ['postgres://u:p%40ss@127.0.0.1/db', 'postgres://u:***@127.0.0.1/db'],
  // inside a message, with text after it
  ['cannot connect to postgres://u:s3cret@h/db: role "u@x" does not exist', 'cannot connect to postgres://u:***@h/db: role "u@x" does not exist'],
  ["got 'mysql://u:s3cret@h/db'", "got 'mysql://u:***@h/db'"],
  ['postgres://h/db?user=u&password=s3cret', 'postgres://h/db?user=u&password=***'],
  ["host=h password='two words' user=u", 'host=h password=*** user=u'],
  // cut short inside the password, before its '@' (a '#' comment in .env, a shell's '&'): what follows the user is the password's start
  ['postgres://postgres:Se', 'postgres://postgres:***'],
  ["is not a valid URL ('postgresql://app:MyPassw')", "is not a valid URL ('postgresql://app:***')"],
  ['postgres://app:pa?sslmode=require', 'postgres://app:***?sslmode=require'],
  // nothing to hide
  ['postgres://u@h/db', 'postgres://u@h/db'],
  ['postgres://h:5432/db', 'postgres://h:5432/db'],
  ['postgres://[::1]:5432/db', 'postgres://[::1]:5432/db'],
  ['postgres://u:***@h:5432/db', 'postgres://u:***@h:5432/db'],
];

// whitespace pasted before the scheme is not part of a secret: the user name stays, words elsewhere are not hidden
test('a known URL with a space before its scheme hides its password only', () => {
  const redact = createRedactor([' postgres://postgres:Sekr3tPw@127.0.0.1:5432/app']);
  assert.is(redact("DATABASE_URL must be a postgres:// URL, got ' postgres://postgres:Sekr3tPw@127.0.0.1:5432/app'"), "DATABASE_URL must be a postgres:// URL, got ' postgres://postgres:***@127.0.0.1:5432/app'");
  assert.is(createRedactor([' postgres://postgres@h/app'])('a postgres:// URL for role postgres'), 'a postgres:// URL for role postgres');
});

for (const [input, expected] of cases) {
  test(`redactUrl(${JSON.stringify(input)})`, () => {
    assert.is(redactUrl(input), expected);
  });
}

// a connection string known whole: its last '@' is known even when the password has spaces
const whole: [string, string][] = [
  ['postgres://postgres:Secr3t Pw@127.0.0.1:5432/postgres', 'postgres://postgres:***@127.0.0.1:5432/postgres'],
  ['postgres:Secr3tPw@127.0.0.1/x', 'postgres:***@127.0.0.1/x'],
  ['postgresql:/postgres:Secr3tPw@127.0.0.1/x', 'postgresql:/postgres:***@127.0.0.1/x'],
  ['postgres://u:p@ss#Secr3t@host/db', 'postgres://u:***@host/db'],
  ['postgres://we ird:Secr3t@host/db', 'postgres://***@host/db'],
  ['Secr3t@host/db', '***@host/db'],
  ['postgres://u@host/db', 'postgres://u@host/db'],
];
for (const [input, expected] of whole) {
  test(`redactConnectionString(${JSON.stringify(input)})`, () => {
    assert.is(redactConnectionString(input), expected);
  });
}

test('a redactor hides its URLs\' passwords wherever they appear, encoded or decoded, in pieces', () => {
  const redact = createRedactor(['postgres://u:Secr3t Pw#x@h/db', undefined, 'postgres://u@h/db?password=An0ther%20one']);
  for (const text of ['Secr3t Pw#x', 'Secr3t%20Pw%23x', 'at Secr3t Pw', 'An0ther one', 'An0ther%20one', 'postgres://u:Secr3t Pw#x@h/db']) {
    const out = redact(`message: ${text} end`);
    assert.ok(!out.includes('Secr3t') && !out.includes('An0ther'), out);
  }
  // short words are left alone: only the passwords go
  assert.is(redact('the user u on h'), 'the user u on h');
});

test('redactDeep hides passwords in every string of a JSON value', () => {
  const value = { message: 'postgres://u:Secr3t@h/db', nested: [{ detail: "password='x y'" }], line: 3 };
  assert.equal(redactDeep(value), { message: 'postgres://u:***@h/db', nested: [{ detail: 'password=***' }], line: 3 });
});

test.run();
