import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { repoRoot } from '../helpers/harness.js';

/** A fresh `npm install` must neither warn nor rewrite the tracked lock file. */
interface Manifest { name: string; version: string; bin?: unknown; dependencies?: Record<string, string>; devDependencies?: Record<string, string>; engines?: { node?: string } }
const manifest = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as Manifest;
const lock = JSON.parse(readFileSync(path.join(repoRoot, 'package-lock.json'), 'utf8')) as { packages: Record<string, Manifest> };

test('the lock file\'s root entry says what package.json says (npm rewrites it otherwise)', () => {
  const root = lock.packages['']!;
  for (const key of ['name', 'version', 'bin', 'dependencies', 'devDependencies', 'engines'] as const) {
    assert.equal(root[key], manifest[key], `package-lock.json packages[""].${key}`);
  }
});

/** The lowest version of a `>=`-only range, or of each `||` alternative: enough for what engines fields here use. */
function lowest(range: string): number[][] {
  return range.split('||').map((part) => {
    const match = /^\s*(?:>=|\^|~)?\s*v?(\d+)(?:\.(\d+|x))?(?:\.(\d+|x))?\s*$/.exec(part);
    if (!match) throw new Error(`engines range '${range}' is not one this test reads: extend lowest()`);
    return [Number(match[1]), Number(match[2] === 'x' ? 0 : match[2] ?? 0), Number(match[3] === 'x' ? 0 : match[3] ?? 0)];
  });
}
const atLeast = (version: number[], floor: number[]) => {
  for (let i = 0; i < 3; i++) if (version[i] !== floor[i]) return version[i]! > floor[i]!;
  return true;
};

test('every installed package supports the oldest Node strata declares (no EBADENGINE warning)', () => {
  const [ours] = lowest(manifest.engines!.node!);
  const unsupported = Object.entries(lock.packages)
    .filter(([name, entry]) => name !== '' && entry.engines?.node !== undefined)
    .filter(([, entry]) => !lowest(entry.engines!.node!).some((floor) => atLeast(ours!, floor) && (floor[0] === ours![0] || !/\^|~/.test(entry.engines!.node!))))
    .map(([name, entry]) => `${name} needs node ${entry.engines!.node}`);
  assert.equal(unsupported, [], `strata declares node ${manifest.engines!.node}`);
});

test.run();
