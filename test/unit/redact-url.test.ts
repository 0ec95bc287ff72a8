import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { redactUrl } from '../../src/config.js';

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
  // nothing to hide
  ['postgres://u@h/db', 'postgres://u@h/db'],
  ['postgres://h:5432/db', 'postgres://h:5432/db'],
];

for (const [input, expected] of cases) {
  test(`redactUrl(${JSON.stringify(input)})`, () => {
    assert.is(redactUrl(input), expected);
  });
}

test.run();
