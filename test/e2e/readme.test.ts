import { spawn } from 'node:child_process';
import { appendFileSync, cpSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { startDev } from '../helpers/dev-process.js';
import { cliEnvironment, cliPath, createTestDatabase, fixturesDir, makeProject, repoRoot, type TestDatabase } from '../helpers/harness.js';

/**
 * Every console block of the README is real output: this runs each one and compares.
 *
 * The README says what each block needs in HTML comments (invisible when rendered):
 *   <!-- readme-test: scenario tour -->        the blocks after it run in one project, in order
 *   <!-- readme-test: file <path> -->          the code block after it is written to <path> first
 *   <!-- readme-test: append <path> -->        the code block after it is added to the end of <path>
 * Scenarios: `tour`, `tagged`, `declare` and `release` run on the embedded database, in a project holding the
 * example history (`tour` and `declare` with it applied, as `npm start` leaves it; `tagged` with it
 * applied up to v1.0; `release` up to its second revision);
 * `dev` runs `strata dev` on a server and makes the saves this file scripts.
 * Ids of revisions that `strata new` creates in the README are mapped to the ones it creates here;
 * durations, dates, clock times, who ran it and server URLs are compared as placeholders.
 */
interface Block {
  kind: 'console' | 'code';
  text: string;
  line: number;
  scenario: string | undefined;
  file: string | undefined;
  /** the block is added to the end of `file` rather than replacing it */
  isAppended: boolean;
}

function readmeBlocks(): Block[] {
  const lines = readFileSync(path.join(repoRoot, 'README.md'), 'utf8').split('\n');
  const blocks: Block[] = [];
  let scenario: string | undefined;
  let file: string | undefined;
  let isAppended = false;
  for (let i = 0; i < lines.length; i++) {
    const directive = /^<!-- readme-test: (scenario|file|append) (\S+) -->$/.exec(lines[i]!);
    if (directive) {
      if (directive[1] === 'scenario') scenario = directive[2];
      else {
        file = directive[2];
        isAppended = directive[1] === 'append';
      }
      continue;
    }
    const fence = /^```(\w*)$/.exec(lines[i]!);
    if (!fence || fence[1] === '') continue;
    const start = i;
    const body: string[] = [];
    for (i++; i < lines.length && lines[i] !== '```'; i++) body.push(lines[i]!);
    blocks.push({ kind: fence[1] === 'console' ? 'console' : 'code', text: body.join('\n'), line: start + 1, scenario, file, isAppended });
    file = undefined;
    isAppended = false;
  }
  return blocks;
}

const PLACEHOLDERS: Array<[RegExp, string]> = [
  [/\b\d+ ms\b/g, '<n> ms'],
  [/\b\d{4}-\d\d-\d\d \d\d:\d\d(:\d\d)? UTC\b/g, '<date> UTC'],
  [/^\d\d:\d\d:\d\d /gm, '<clock> '],
  [/\bby [^\s,@]+@[^\s,]+/g, 'by <who>'],
  [/postgres:\/\/[^\s)]+/g, '<server>'],
  [/\bstopped after \d+ runs\b/g, 'stopped after <n> runs'],
  [/[ \t]+$/gm, ''],
];

function normalise(text: string): string {
  return PLACEHOLDERS.reduce((t, [pattern, replacement]) => t.replace(pattern, replacement), text).trimEnd();
}

/** README ids <-> the ids `strata new` made here (same slug, today's timestamp). */
class IdMap {
  private readonly pairs: Array<[readme: string, actual: string]> = [];
  add(readme: string, actual: string): void {
    this.pairs.push([readme, actual]);
    lastReadmeTimestamp = Math.max(lastReadmeTimestamp, Number(readme.slice(0, 14)));
  }
  toActual(text: string): string {
    return this.pairs.reduce((t, [readme, actual]) => t.split(readme).join(actual), text);
  }
  toReadme(text: string): string {
    return this.pairs.reduce((t, [readme, actual]) => t.split(actual).join(readme), text);
  }
}

function shell(command: string, cwd: string, env: Record<string, string | undefined>): Promise<string> {
  const line = command.replace(/^npx strata\b/, `${JSON.stringify(process.execPath)} ${JSON.stringify(cliPath)}`);
  return new Promise((resolve, reject) => {
    // one pipe for both streams, so lines keep the order a terminal shows
    const child = spawn('sh', ['-c', `${line} 2>&1`], { cwd, env: cliEnvironment(env), stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.on('error', reject);
    child.on('close', () => resolve(out));
  });
}

/** `$ command  # comment` lines and the output after each. */
function transcript(text: string): Array<{ typed: string; command: string; expected: string }> {
  const steps: Array<{ typed: string; command: string; expected: string[] }> = [];
  for (const line of text.split('\n')) {
    if (line.startsWith('$ ')) steps.push({ typed: line, command: line.slice(2).replace(/\s+#.*$/, '').trim(), expected: [] });
    else steps.at(-1)?.expected.push(line);
  }
  return steps.map((s) => ({ typed: s.typed, command: s.command, expected: s.expected.join('\n') }));
}

/**
 * `README_UPDATE=1 node dist/test/e2e/readme.test.js` writes what the commands printed into the
 * README's blocks instead of comparing (then read the diff before committing it).
 */
const isUpdating = process.env.README_UPDATE === '1';
const updates = new Map<number, string>();
function writeUpdates(): void {
  const file = path.join(repoRoot, 'README.md');
  const lines = readFileSync(file, 'utf8').split('\n');
  for (const [line, text] of [...updates].sort((a, b) => b[0] - a[0])) {
    let end = line;
    while (lines[end] !== '```') end++;
    lines.splice(line, end - line, ...text.split('\n'));
  }
  writeFileSync(file, lines.join('\n'));
}

let lastReadmeTimestamp = 20261125123455;
/** A README id for a revision created while updating: one second after the README's newest. */
function readmeIdFor(actual: string): string {
  return `${++lastReadmeTimestamp}${actual.slice(14)}`;
}

function exampleProject(): ReturnType<typeof makeProject> {
  const project = makeProject();
  cpSync(path.join(fixturesDir, 'example-history'), path.join(project.dir, 'migrations'), { recursive: true });
  return project;
}

const blocks = readmeBlocks();
const db: TestDatabase | undefined = await createTestDatabase('readme');
test.after(async () => {
  await db?.drop();
  if (isUpdating) writeUpdates();
});


/**
 * The command-line scenarios: how the project is set up before the README's first command, and the
 * environment its commands run in. `first-run` is a machine that never ran strata: an empty home
 * folder, so the embedded database's template is made there (shown as /home/me).
 */
const SCENARIOS: Record<string, { setup?: string; home?: boolean }> = {
  tour: { setup: 'npx strata up' },
  tagged: { setup: 'npx strata up v1.0' },
  'first-run': { home: true },
  proof: {},
  declare: { setup: 'npx strata up' },
  release: { setup: 'npx strata up 20261103' },
  lint: {},
  locks: { setup: 'npx strata dump' },
};

for (const [scenario, { setup, home }] of Object.entries(SCENARIOS)) {
  test(`README scenario '${scenario}': each command prints what the README shows`, async () => {
    const project = exampleProject();
    const homeDir = home ? makeProject() : undefined;
    const env = homeDir ? { HOME: homeDir.dir, STRATA_CACHE_DIR: undefined, XDG_CACHE_HOME: undefined } : {};
    const ids = new IdMap();
    const shownText = (actual: string) => {
      const mapped = ids.toReadme(actual);
      return homeDir ? mapped.split(homeDir.dir).join('/home/me') : mapped;
    };
    try {
      if (setup) await shell(setup, project.dir, env);
      for (const block of blocks.filter((b) => b.scenario === scenario)) {
        if (block.kind === 'code') {
          if (block.file) (block.isAppended ? appendFileSync : writeFileSync)(path.join(project.dir, ids.toActual(block.file)), `${ids.toActual(block.text)}\n`);
          continue;
        }
        const rendered: string[] = [];
        for (const { typed, command, expected } of transcript(block.text)) {
          const actual = await shell(ids.toActual(command), project.dir, env);
          const created = /^created (\d{14}_\w+)/m.exec(actual)?.[1];
          // the README's own id for a new revision: as shown, or (updating) the next one a reader would see
          const shown = /^created (\d{14}_\w+)/m.exec(expected)?.[1] ?? (created && isUpdating ? readmeIdFor(created) : undefined);
          if (created && shown) ids.add(shown, created);
          rendered.push(typed, ...shownText(actual).trimEnd().split('\n').filter((l) => l !== ''));
          if (!isUpdating) assert.fixture(normalise(shownText(actual)), normalise(expected), `README.md:${block.line}: $ ${command}`);
        }
        updates.set(block.line, rendered.join('\n'));
      }
    } finally {
      project.remove();
      homeDir?.remove();
    }
  });
}

(db ? test : test.skip)('README scenario \'dev\': the dev loop prints what the README shows', async () => {
  const block = blocks.find((b) => b.scenario === 'dev' && b.kind === 'console');
  assert.ok(block, 'the README has a dev block');
  const project = exampleProject();
  const dev = startDev(project.dir, { DATABASE_URL: db!.url });
  const ids = new IdMap();
  try {
    await dev.waitFor(/applied 5 revisions/);
    const readmeId = /waiting for (\d{14}_add_invoices)/.exec(block!.text)![1]!;
    // dev may see the new folder before strata new has returned: the mark comes first
    let mark = dev.mark();
    const created = /^created (\S+)/.exec(await shell('npx strata new "add invoices"', project.dir, { DATABASE_URL: db!.url }))![1]!;
    ids.add(readmeId, created);
    // saved as editors do (a temporary file renamed over the old one): one save, one event
    const save = (file: string, text: string) => {
      const target = path.join(project.dir, 'migrations', created, file);
      writeFileSync(`${target}.tmp`, text);
      renameSync(`${target}.tmp`, target);
    };
    const up = (body: string) => save('up.sql', `--! Parent: 20261106090000_index_orders_by_customer\n--! Message: add invoices\n\n${body}`);
    const columns = ['  id bigint generated always as identity primary key', '  order_id bigint not null references orders (id)', '  total_cents integer not null check (total_cents >= 0)'];
    // `extra` is the last column line as typed, with its trailing comma or not
    const table = (extra: string) => `create table invoices (\n${columns.join(',\n')}${extra === '' ? '\n' : `,\n${extra}`});\n`;
    await dev.waitFor(/waiting for/, mark);
    up(table(''));
    await dev.waitFor(/applied \S+ in/, mark);
    mark = dev.mark();
    save('down.sql', 'drop table invoices;\n');
    await dev.waitFor(/re-applied/, mark);
    mark = dev.mark();
    up(table('  issued_at timestamptz not null default now()\n'));
    await dev.waitFor(/re-applied/, mark);
    mark = dev.mark();
    up(table('  issued_at timestamptz not null default now(),\n'));
    await dev.waitFor(/Waiting for the next save/, mark);
    mark = dev.mark();
    up(table('  issued_at timestamptz not null default now(),\n  paid_at timestamptz\n'));
    await dev.waitFor(/re-applied/, mark);
    await dev.stop('SIGINT');
    // what a terminal shows: the commands typed, the ^C; the rest is dev's output
    // the README names a server a reader would have, not this test's database
    const shown = ids.toReadme(dev.output()).split(db!.url).join('postgres://localhost:5432/shop').trimEnd().split('\n');
    const typed = block!.text.split('\n').filter((l) => l.startsWith('$ '));
    // as a terminal shows it: strata new typed in another one after the start, ^C before the last line
    updates.set(block!.line, [typed[0]!, shown[0]!, shown[1]!, typed[1]!, ...shown.slice(2, -1), '^C', shown.at(-1)!].join('\n'));
    const expected = block!.text.split('\n').filter((l) => !l.startsWith('$ ') && l !== '^C').join('\n');
    if (!isUpdating) assert.fixture(normalise(shown.join('\n')), normalise(expected), `README.md:${block!.line}`);
  } finally {
    dev.kill();
    project.remove();
  }
});

test('every console block of the README is checked by a scenario', () => {
  const unchecked = blocks.filter((b) => b.kind === 'console' && !(b.scenario === 'dev' || (b.scenario ?? '') in SCENARIOS));
  assert.equal(unchecked.map((b) => `README.md:${b.line}`), []);
  assert.ok(blocks.filter((b) => b.kind === 'console').length >= 4);
});

test.run();
