import { chmodSync, chownSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { findPgBinary, startCluster, type Cluster } from '../../bench/cluster.js';
import { exampleProject, expectExit, expectNoText, expectText } from '../helpers/e2e.js';
import { runCli } from '../helpers/harness.js';

// A server that takes only TLS connections, with a self-signed certificate: `sslmode` must mean
// what it means to psql (libpq), since strata is configured with the URLs psql takes. require:
// encrypted, the certificate not checked; verify-ca with the certificate as the CA: connects;
// verify-full without a CA Node trusts: refused, with strata's message; PGSSLMODE counts when
// the URL says nothing. pg's own "SECURITY WARNING" about its other reading is never printed.
// Passwords by SCRAM and by md5 (node:crypto is loaded only when one is asked for: the bundle
// patches pg to load it on first use).

let cluster: Cluster | undefined;
let root: string | undefined;
let certificate = '';
try {
  findPgBinary('initdb');
  root = mkdtempSync(path.join(os.tmpdir(), 'strata-ssl-'));
  chmodSync(root, 0o755);
  certificate = path.join(root, 'server.crt');
  const key = path.join(root, 'server.key');
  const made = spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=strata-test-server', '-days', '2', '-keyout', key, '-out', certificate], { encoding: 'utf8' });
  if (made.status !== 0) throw new Error(`openssl: ${made.stderr || made.error?.message}`);
  chmodSync(key, 0o600);
  if (process.getuid?.() === 0) {
    const passwd = readFileSync('/etc/passwd', 'utf8').split('\n').find((l) => l.startsWith('postgres:'))?.split(':');
    if (passwd) for (const file of [key, certificate]) chownSync(file, Number(passwd[2]), Number(passwd[3]));
  }
  cluster = await startCluster(root, ['ssl=on', `ssl_cert_file=${certificate}`, `ssl_key_file=${key}`]);
  // TLS only: a plain connection to 127.0.0.1 finds no pg_hba.conf line
  const hba = path.join(cluster.dataDir, 'pg_hba.conf');
  writeFileSync(hba, [
    'local all all trust',
    'hostssl all scram_user 127.0.0.1/32 scram-sha-256',
    'hostssl all md5_user 127.0.0.1/32 md5',
    'hostssl all all 127.0.0.1/32 trust',
  ].join('\n') + '\n');
  cluster.sql('postgres', "set password_encryption = 'scram-sha-256'; create role scram_user login superuser password 'pw-scram'; set password_encryption = 'md5'; create role md5_user login superuser password 'pw-md5'; select pg_reload_conf()");
} catch (error) {
  if (process.env.CI) throw error;
  console.warn(`SKIP: cannot start a TLS PostgreSQL cluster: ${(error as Error).message}`);
}
const project = exampleProject();

test.after(() => {
  project.remove();
  cluster?.stop();
  if (root) rmSync(root, { recursive: true, force: true });
});

const url = (query: string) => `postgres://postgres:s3cret-pw@127.0.0.1:${cluster!.port}/postgres${query}`;
const status = (databaseUrl: string, env: Record<string, string | undefined> = {}) => runCli(['status'], { cwd: project.dir, env: { DATABASE_URL: databaseUrl, PGSSLMODE: undefined, ...env } });

test('sslmode=require connects over TLS without checking the certificate, as psql does', async () => {
  if (!cluster) return;
  const result = await status(url('?sslmode=require'));
  expectExit(result, 0);
  expectText(result.output, 'pending');
  expectNoText(result.output, 'SECURITY WARNING');
  expectNoText(result.output, 's3cret-pw');
});

test('a plain connection is refused by this server (the test checks what it means to check)', async () => {
  if (!cluster) return;
  const result = await status(url('?sslmode=disable'));
  expectExit(result, 1);
  expectText(result.output, 'no encryption');
  expectNoText(result.output, 's3cret-pw');
});

test('verify-ca with the certificate as its CA connects (the host name is not checked)', async () => {
  if (!cluster) return;
  expectExit(await status(url(`?sslmode=verify-ca&sslrootcert=${encodeURIComponent(certificate)}`)), 0);
});

test('verify-full with a certificate Node does not trust is refused, by strata, with the URL redacted', async () => {
  if (!cluster) return;
  const result = await status(url('?sslmode=verify-full'));
  expectExit(result, 1);
  expectText(result.output, 'cannot connect to postgres://postgres:***@127.0.0.1');
  expectText(result.output, 'self-signed certificate');
  expectNoText(result.output, 'SECURITY WARNING');
  expectNoText(result.output, 's3cret-pw');
});

test('PGSSLMODE=require counts when the URL has no sslmode', async () => {
  if (!cluster) return;
  const result = await status(url(''), { PGSSLMODE: 'require' });
  expectExit(result, 0);
  expectNoText(result.output, 'SECURITY WARNING');
  assert.ok(result.stdout.includes('pending'));
});

test('a password by SCRAM and by md5 signs in; a wrong one is refused, never printed', async () => {
  if (!cluster) return;
  const as = (user: string, password: string) => status(`postgres://${user}:${password}@127.0.0.1:${cluster!.port}/postgres?sslmode=require`);
  for (const [user, password] of [['scram_user', 'pw-scram'], ['md5_user', 'pw-md5']] as const) {
    expectExit(await as(user, password), 0, user);
    const wrong = await as(user, `${password}-wrong`);
    expectExit(wrong, 1, `${user}, wrong password`);
    expectText(wrong.output, 'password authentication failed');
    expectNoText(wrong.output, password);
  }
});

test.run();
