import { test } from 'uvu';
import * as assert from 'uvu/assert';
import pgConnectionString from 'pg-connection-string';
import { withLibpqSslMode } from '../../src/db/ssl-mode.js';

// [url, PGSSLMODE, what pg is handed]
const cases: Array<[string, string | undefined, string]> = [
  ['postgres://h/db?sslmode=require', undefined, 'postgres://h/db?sslmode=require&uselibpqcompat=true'],
  ['postgresql://u:p%40ss@h:5432/db?application_name=x&sslmode=verify-ca&sslrootcert=/ca.pem', undefined, 'postgresql://u:p%40ss@h:5432/db?application_name=x&sslmode=verify-ca&sslrootcert=/ca.pem&uselibpqcompat=true'],
  ['postgres://h/db?sslmode=prefer#frag', undefined, 'postgres://h/db?sslmode=prefer&uselibpqcompat=true#frag'],
  // PGSSLMODE counts when the URL says nothing, as it does for libpq
  ['postgres://h/db', 'require', 'postgres://h/db?sslmode=require&uselibpqcompat=true'],
  ['postgres://h/db?connect_timeout=5', 'disable', 'postgres://h/db?connect_timeout=5&sslmode=disable&uselibpqcompat=true'],
  ['postgres://h/db?sslmode=verify-full', 'disable', 'postgres://h/db?sslmode=verify-full&uselibpqcompat=true'],
  // left alone
  ['postgres://h/db', undefined, 'postgres://h/db'],
  ['postgres://h/db', '', 'postgres://h/db'],
  ['postgres://h/db?sslmode=require&uselibpqcompat=false', undefined, 'postgres://h/db?sslmode=require&uselibpqcompat=false'],
  ['postgres://h/db?sslmode=no-verify', undefined, 'postgres://h/db?sslmode=no-verify'],
  ['postgres://h/db?sslmode=allow', undefined, 'postgres://h/db?sslmode=allow'],
  ['mysql://h/db?sslmode=require', undefined, 'mysql://h/db?sslmode=require'],
  ['not a url', 'require', 'not a url'],
];

for (const [url, environment, expected] of cases) {
  test(`withLibpqSslMode(${url}, PGSSLMODE=${environment})`, () => {
    assert.is(withLibpqSslMode(url, environment), expected);
  });
}

// what pg then makes of it: libpq's meaning of each mode
test('require encrypts without checking the certificate; verify-ca checks the CA only; verify-full both', () => {
  const ssl = (url: string) => (pgConnectionString.parse(withLibpqSslMode(url, undefined)) as { ssl?: unknown }).ssl as Record<string, unknown> | false;
  assert.equal(ssl('postgres://h/db?sslmode=require'), { rejectUnauthorized: false });
  assert.equal(ssl('postgres://h/db?sslmode=prefer'), { rejectUnauthorized: false });
  assert.is(ssl('postgres://h/db?sslmode=disable'), false);
  assert.equal(ssl('postgres://h/db?sslmode=verify-full'), {});
});

test.run();
