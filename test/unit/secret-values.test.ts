import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { isSecretOptionKey, maskSecretValues } from '../../src/text/secret-values.js';
import { renderCodeFrame } from '../../src/text/source-position.js';

// Which option keys hold secrets, and SQL shown back to the user (a code frame) with their values starred out.
test('secret keys, in any case, anywhere in the key; others are not', () => {
  for (const key of ['password', 'sslpassword', 'SSLPassword', 'passcode', 'passwd', 'secret', 'aws_secret_access_key', 'token', 'api_key', 'apikey', 'private_key', 'credentials']) assert.ok(isSecretOptionKey(key), key);
  for (const key of ['user', 'host', 'passfile', 'sslkey', 'dbname', 'table_name']) assert.not.ok(isSecretOptionKey(key), key);
});

test('a secret value is starred out, as long as it was; other values and literals are kept', () => {
  assert.is(maskSecretValues("options (host 'h', password 'hunter2')"), "options (host 'h', password '*******')");
  assert.is(maskSecretValues(`options ("user" 'u', "SSLPassword" 'it''s', api_key E'a\\\\b')`), `options ("user" 'u', "SSLPassword" '*****', api_key E'****')`);
  assert.is(maskSecretValues('alter user mapping for public server s options (set password \'new\');'), "alter user mapping for public server s options (set password '***');");
  assert.is(maskSecretValues("insert into notes values ('password', 'kept')"), "insert into notes values ('password', 'kept')");
});

test('a code frame of a failing statement shows no secret, the caret where it was', () => {
  const text = "create foreign data wrapper w;\ncreate server s foreign data wrapper w options (password 'hunter2', hots 'h');\n";
  const frame = renderCodeFrame(text, 2, text.split('\n')[1]!.indexOf('hots') + 1);
  assert.not.ok(frame.includes('hunter2'), frame);
  const lines = frame.split('\n');
  const shown = lines.find((l) => l.startsWith(' > '))!;
  const caret = lines[lines.indexOf(shown) + 1]!;
  assert.is(shown.slice(caret.indexOf('^'), caret.indexOf('^') + 4), 'hots');
});

test.run();
