import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { repoRoot } from '../helpers/harness.js';

/**
 * The layout of src/, checked: every room sits on a floor, and an import (a type-only one too,
 * and a lazy import()) may only run to the same floor or a lower one. The floors, bottom up, are
 * those of DESIGN.md's architecture section; the README's says where each command lives.
 */
const FLOORS: readonly (readonly string[])[] = [
  ['errors.ts'],
  ['text/'],
  ['sql/', 'config.ts'],
  ['revision/'],
  ['plan/', 'lint/', 'schema/model/'],
  ['db/', 'project/'],
  ['executor/', 'schema/introspect/'],
  ['proof/'],
  ['declare/', 'release/'],
  ['watch/', 'fleet/'],
  ['index.ts'],
  ['cli.ts', 'cli/'],
];
const MAX_LINES = 400;

const srcDir = path.join(repoRoot, 'src');
const sources = (function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    // a test's scratch folder (sql-safety.test.ts compiles fixtures in src/__sql_safety_fixture__)
    if (/^__.*__$/.test(name)) return [];
    return statSync(full).isDirectory() ? walk(full) : full.endsWith('.ts') ? [full] : [];
  });
})(srcDir);

function roomOf(file: string): string | undefined {
  const relative = path.relative(srcDir, file).split(path.sep).join('/');
  return FLOORS.flat().filter((room) => (room.endsWith('/') ? relative.startsWith(room) : relative === room))
    .sort((a, b) => b.length - a.length)[0];
}

function floorOf(room: string): number {
  return FLOORS.findIndex((floor) => floor.includes(room));
}

/** relative specifiers of `import ... from`, `export ... from` and `import(...)` */
function importsOf(source: string): string[] {
  const found: string[] = [];
  for (const match of source.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|^import\s+)['"](\.{1,2}\/[^'"]+)['"]/gm)) found.push(match[1]!);
  return found;
}

test('every file in src/ is in a room of the layout', () => {
  assert.equal(sources.filter((file) => roomOf(file) === undefined).map((f) => path.relative(repoRoot, f)), []);
});

test('no import runs from a lower floor to a higher one', () => {
  const upward: string[] = [];
  for (const file of sources) {
    const from = roomOf(file);
    if (from === undefined) continue;
    for (const specifier of importsOf(readFileSync(file, 'utf8'))) {
      const target = path.resolve(path.dirname(file), specifier.replace(/\.js$/, '.ts'));
      const to = roomOf(target);
      if (to !== undefined && floorOf(to) > floorOf(from)) upward.push(`${path.relative(repoRoot, file)} (${from}) imports ${specifier} (${to})`);
    }
  }
  assert.equal(upward, []);
});

test(`no file in src/ is over ${MAX_LINES} lines`, () => {
  const long = sources.map((file) => ({ file, lines: readFileSync(file, 'utf8').split('\n').length }))
    .filter(({ lines }) => lines > MAX_LINES).map(({ file, lines }) => `${path.relative(repoRoot, file)}: ${lines}`);
  assert.equal(long, []);
});

test("a database's kind is read only in db/: the rest asks its capabilities", () => {
  const readers = sources.filter((file) => roomOf(file) !== 'db/' && /\.kind\s*(?:===|!==|==|!=)\s*['"](?:pg|pglite|server|embedded)['"]/.test(readFileSync(file, 'utf8')));
  assert.equal(readers.map((f) => path.relative(repoRoot, f)), []);
});

test('the root of src/ holds only the API, the CLI, configuration and problems', () => {
  const root = readdirSync(srcDir).filter((name) => name.endsWith('.ts')).sort();
  assert.equal(root, ['cli.ts', 'config.ts', 'errors.ts', 'index.ts']);
});

test.run();
