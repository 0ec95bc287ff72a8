import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { connectionUrlProblem } from '../../src/config.js';
import { withLibpqSslMode } from '../../src/db/ssl-mode.js';
import { parseTargetsFile } from '../../src/fleet/targets.js';
import { connectionUrlHost, formatConnectionUrl, parseConnectionUrl } from '../../src/text/connection-url.js';

// A user and no host (libpq and pg read the host from ?host=: a Unix socket, Cloud SQL's form) is a
// URL psql takes; the WHATWG parser refuses it, and strata refused it as 'not a valid URL'.
const SOCKET_URLS = [
  'postgres://app:s3cret@/app?host=/cloudsql/project:region:instance',
  'postgresql://app@/app?host=/var/run/postgresql',
  'postgres://app:s3cret@/app',
  'postgres://app@?host=/tmp',
];

for (const url of SOCKET_URLS) {
  test(`a user and an empty host is a URL: ${url}`, () => {
    assert.is(connectionUrlProblem('DATABASE_URL', url), undefined);
    const parsed = parseConnectionUrl(url);
    assert.is(connectionUrlHost(parsed), '');
    assert.is(parsed.username, 'app');
    assert.is(formatConnectionUrl(parsed), url);
  });
}

test('a shadow on an empty-host URL keeps its host empty and its ?host=', () => {
  const parsed = parseConnectionUrl('postgres://app:s3cret@/app?host=/var/run/postgresql');
  parsed.pathname = '/strata_shadow_1';
  assert.is(formatConnectionUrl(parsed), 'postgres://app:s3cret@/strata_shadow_1?host=/var/run/postgresql');
});

test('an empty-host URL gets its libpq sslmode too', () => {
  assert.is(withLibpqSslMode('postgres://app@/app?host=db.internal&sslmode=require'), 'postgres://app@/app?host=db.internal&sslmode=require&uselibpqcompat=true');
});

test('a target with an empty host is named by its ?host=, without user or password', () => {
  const result = parseTargetsFile('postgres://app:s3cret@/tenant1?host=/var/run/postgresql\n', 'targets.txt');
  assert.ok(result.ok);
  if (result.ok) assert.is(result.targets[0]!.name, '/var/run/postgresql/tenant1');
});

test('URLs that are not URLs still are not', () => {
  assert.throws(() => parseConnectionUrl('postgres://app@h:99999/app'));
  assert.throws(() => parseConnectionUrl('postgres://[::1/app'));
  assert.ok(connectionUrlProblem('DATABASE_URL', 'postgres://h:abc/app'));
  assert.is(connectionUrlHost(parseConnectionUrl('postgres://db.internal:5432/app')), 'db.internal');
});

test.run();
