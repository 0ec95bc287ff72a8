import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { repoRoot } from '../helpers/harness.js';

/** Rules the suite keeps about itself, checked over its sources. */
const testDir = path.join(repoRoot, 'test');
const sources = (function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    if (name === 'fixtures') return [];
    return statSync(full).isDirectory() ? walk(full) : full.endsWith('.ts') ? [full] : [];
  });
})(testDir);

test('no test reads the repository\'s own migrations/ (a user following the README adds revisions there)', () => {
  const offenders = sources.filter((file) => /repoRoot\s*,\s*['"]migrations['"]/.test(readFileSync(file, 'utf8')));
  assert.equal(offenders.map((f) => path.relative(repoRoot, f)), []);
});

test.run();
