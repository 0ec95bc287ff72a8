import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Problem } from '../../src/errors.js';
import { formatProblems, formatStartProblems, makeStyle } from '../../src/cli/output.js';
import { databaseProblem } from '../../src/db/database-problem.js';
import { lockTimeoutProblem } from '../../src/executor/advisory-lock.js';
import { planDown, planUp, type Plan, type Step } from '../../src/plan/plan.js';
import { resolveTarget } from '../../src/plan/targets.js';
import { checkScripts } from '../../src/revision/check-scripts.js';
import { parseDownFile, parseUpFile } from '../../src/revision/parse-header.js';
import { formatUtc } from '../../src/text/utc-time.js';
import { isStillBeingWritten } from '../../src/watch/dev-step.js';
import { appliedRow, build, folder, history, MISSING } from '../helpers/memory-tree.js';

/**
 * Modules act on a problem through its fields (`revision`, `object`), never its message or path:
 * every producer sets them, and the consumers decide on them alone.
 */

const A = '20261101090000_create_users';
const B = '20261102090000_add_orders';
const C = '20261103090000_add_invoices';
const up = (parent: string, body = 'select 1;\n') => `--! Parent: ${parent}\n\n${body}`;

function revisionsOf(problems: readonly Problem[]): Array<[string, string | undefined]> {
  return problems.map((p) => [p.code, p.revision]);
}

function planProblems<S extends Step>(plan: Plan<S>): Problem[] {
  if (plan.ok) throw new Error(`expected problems, got steps ${plan.steps.map((s) => s.id).join(', ')}`);
  return plan.problems;
}

test('parse-header: every header problem carries the revision it is given; none without one', () => {
  const text = '--! Parnet: base\n--! Transaction: maybe\n--! Tags: 1x\n\nselect 1;\n--! Message: late\n';
  const parsed = parseUpFile(text, `migrations/${A}/up.sql`, A);
  assert.equal(parsed.problems.map((p) => p.code), ['HEADER_UNKNOWN_KEY', 'HEADER_BAD_VALUE', 'HEADER_BAD_VALUE', 'HEADER_MISPLACED']);
  assert.ok(parsed.problems.every((p) => p.revision === A), JSON.stringify(parsed.problems));
  assert.ok(parseUpFile(text, 'up.sql').problems.every((p) => !('revision' in p)));
  const down = parseDownFile('--! Irreversible:\n--! Parent: base\n', `migrations/${A}/down.sql`, A);
  assert.equal(revisionsOf(down.problems), [['HEADER_BAD_VALUE', A], ['HEADER_WRONG_FILE', A]]);
});

test('parse-header: a Parent line that is empty or misspelt is not also "no Parent header"; a misplaced one is', () => {
  const codes = (text: string) => parseUpFile(text, 'up.sql').problems.map((p) => p.code);
  assert.equal(codes('--! Parent:\n\nselect 1;\n'), ['HEADER_BAD_VALUE']);
  assert.equal(codes('--! Parnet: base\n\nselect 1;\n'), ['HEADER_UNKNOWN_KEY']);
  assert.equal(codes('--! parent: base\n\nselect 1;\n'), []);
  assert.equal(codes('--! Nonsense: x\n\nselect 1;\n'), ['HEADER_UNKNOWN_KEY', 'HEADER_MISSING_PARENT']);
  assert.equal(codes('select 1;\n--! Parent: base\n'), ['HEADER_MISPLACED', 'HEADER_MISSING_PARENT']);
});

test('build-revisions: file, header, timestamp, tag and chain problems name their revision', () => {
  const A2 = '20261101090000_create_accounts';
  const set = build(
    folder(A, up('base')),
    folder(A2, up(A)),
    folder(B, MISSING),
    folder(C, `--! Parent: nowhere\n--! Tags: v1\n\nselect 1;\n`, { kind: 'unreadable', reason: 'permission denied (EACCES)', isPermissionDenied: true }),
    folder('20261104090000_tagged', `--! Parent: ${C}\n--! Tags: v1\n\nselect 1;\n`),
  );
  const byCode = new Map(set.problems.map((p) => [p.code, p]));
  assert.is(byCode.get('FILE_MISSING')?.revision, B);
  assert.is(byCode.get('FILE_UNREADABLE')?.revision, C);
  assert.match(byCode.get('FILE_UNREADABLE')!.hint!, 'permissions');
  assert.is(byCode.get('DUPLICATE_TIMESTAMP')?.revision, A, 'the later of the two in id order');
  assert.ok(set.problems.every((p) => p.revision !== undefined), JSON.stringify(revisionsOf(set.problems)));
  const chain = build(folder(A, up('base')), folder(B, up('nowhere')), folder(C, up(A)));
  assert.equal(revisionsOf(chain.problems), [['CHAIN_PARENT_UNKNOWN', B], ['CHAIN_PARENT_MISMATCH', C]]);
  const tags = build(folder(A, `--! Parent: base\n--! Tags: v1\n\nselect 1;\n`), folder(B, `--! Parent: ${A}\n--! Tags: v1\n\nselect 1;\n`));
  assert.equal(revisionsOf(tags.problems), [['DUPLICATE_TAG', B]]);
  // a file that is not in a revision folder concerns no revision
  assert.equal(revisionsOf(build({ name: 'stray.sql', kind: 'file' }).problems), [['STRAY_SQL_FILE', undefined]]);
});

test('check-scripts: a revision script\'s problems carry its revision; down.sql is named by its role, not its path', async () => {
  const text = '--! Parent: base\n\nselect from where;\n';
  const parsed = parseUpFile(text, 'x.sql');
  const script = { path: 'x.sql', text, body: parsed.body, bodyOffset: parsed.bodyOffset, transactional: true, revision: B };
  const syntax = await checkScripts([{ script, role: 'up' }]);
  assert.equal(revisionsOf(syntax.problems), [['SQL_SYNTAX', B]]);
  const empty = await checkScripts([{ script: { ...script, text: '--! Parent: base\n\n-- later\n', body: '-- later\n' }, role: 'up', requiresStatements: true }]);
  assert.equal(revisionsOf(empty.problems), [['SQL_EMPTY', B]]);
  const openBlock = await checkScripts([{ script: { ...script, body: 'begin;\nselect 1;\n', transactional: false, path: `migrations/${B}/down.sql (stored copy)` }, role: 'down' }]);
  assert.equal(revisionsOf(openBlock.problems), [['SQL_TRANSACTION_LEFT_OPEN', B]]);
  assert.match(openBlock.problems[0]!.message, 'down.sql never closes');
  const bare = await checkScripts([{ script: { path: 'x.sql', text, body: parsed.body, bodyOffset: parsed.bodyOffset, transactional: true }, role: 'up' }]);
  assert.ok(!('revision' in bare.problems[0]!));
});

test('plan: edited, out of order, missing and irreversible revisions are named; every step\'s script carries its revision', () => {
  const revisions = history({ id: A, parent: 'base' }, { id: B, parent: A }, { id: C, parent: B, down: '--! Irreversible: drops data\n' });
  const [a, b, c] = revisions as [typeof revisions[0], typeof revisions[0], typeof revisions[0]];
  const edited = planProblems(planUp(revisions, [appliedRow(a, { upChecksum: 'v2:other' })]));
  assert.equal(revisionsOf(edited), [['APPLIED_EDITED', A]]);
  const outOfOrder = planProblems(planUp(revisions, [appliedRow(a), appliedRow(c)]));
  assert.equal(revisionsOf(outOfOrder), [['OUT_OF_ORDER', B]]);
  const missing = planProblems(planUp([a], [appliedRow(a), appliedRow(b)]));
  assert.equal(revisionsOf(missing), [['APPLIED_MISSING', B]]);
  const irreversible = planProblems(planDown(revisions, [appliedRow(a), appliedRow(b), appliedRow(c)], '-1'));
  assert.equal(revisionsOf(irreversible), [['IRREVERSIBLE', C]]);
  const upPlan = planUp(revisions, []);
  assert.ok(upPlan.ok && upPlan.steps.every((s) => s.script.revision === s.id));
  const downPlan = planDown(revisions, [appliedRow(a), appliedRow(b, { upChecksum: 'v2:other' })], 'base');
  assert.ok(downPlan.ok);
  assert.equal(downPlan.ok && downPlan.steps.map((s) => [s.source, s.script.revision]), [['stored', B], ['disk', A]]);
});

test('targets: a suggestion is a field, not a hint to read', () => {
  const universe = { ids: [A, B], tags: new Map([['v1.0', A]]) };
  const typo = resolveTarget('add_ordres', universe);
  assert.equal(!typo.ok && [typo.problem.code, typo.suggestion], ['TARGET_UNKNOWN', B]);
  const none = resolveTarget('zzzzzzzzzzzz', universe);
  assert.ok(!none.ok && none.suggestion === undefined);
});

test('dev-step: waiting for a revision being written is decided on problem.revision, whatever the path looks like', () => {
  const missing = (file: string, revision?: string): Problem[] => [{ code: 'FILE_MISSING', message: 'down.sql is missing', file, ...(revision ? { revision } : {}) }];
  assert.ok(isStillBeingWritten(missing('C:\\work\\migrations\\new\\down.sql', B), []));
  assert.ok(isStillBeingWritten(missing('down.sql', B), []));
  assert.not.ok(isStillBeingWritten(missing(`migrations/${B}/down.sql`), []), 'a path alone says nothing');
  assert.not.ok(isStillBeingWritten(missing('down.sql', B), [appliedRow(history({ id: A, parent: 'base' }, { id: B, parent: A })[1]!)]));
});

test('database objects: the tracking schema a failed query or the lock concerns', () => {
  assert.equal(lockTimeoutProblem('strata_test', 1000, undefined).object, { kind: 'schema', name: 'strata_test' });
  const refused = databaseProblem(Object.assign(new Error('permission denied for schema strata'), { code: '42501', severity: 'ERROR' }), 'strata');
  assert.equal(refused?.object, { kind: 'schema', name: 'strata' });
});

test('a tracking table changed by hand: the hint says so and how to restore it, not a bare SQLSTATE', () => {
  for (const [code, message] of [['42703', 'column "message" does not exist'], ['42P01', 'relation "strata.events" does not exist']] as const) {
    const found = databaseProblem(Object.assign(new Error(message), { code, severity: 'ERROR' }), 'strata');
    assert.match(found!.hint!, 'the tracking tables in schema strata are not as strata made them');
    assert.match(found!.hint!, 'strata sql up --from base');
    assert.not.match(found!.hint!, 'SQLSTATE');
  }
});

test('output: the start problems have no count; dates are written, not regex-edited', () => {
  const style = makeStyle(process.stdout, { NO_COLOR: '1' });
  const problems: Problem[] = [{ code: 'CONFIG_INVALID', message: 'bad', hint: 'fix it' }];
  assert.is(formatStartProblems(problems, style), 'error: bad\n  fix: fix it\nnothing was run and the database was not changed.');
  assert.is(formatProblems(problems, style), 'error: bad\n  fix: fix it\n1 problem found; nothing was run and the database was not changed.');
  const parts = [
    { code: 'ROUND_TRIP_FAILED' as const, message: 'leaves column public.t.a', hint: 'drop it', group: 'table public.t' },
    { code: 'ROUND_TRIP_FAILED' as const, message: 'leaves index public.t_a', hint: 'drop it', group: 'table public.t' },
    { code: 'ROUND_TRIP_FAILED' as const, message: 'leaves type public.mood', hint: 'drop it' },
  ];
  assert.is(formatProblems(parts, style), [
    'table public.t:', '  error: leaves column public.t.a', '  error: leaves index public.t_a', '    fix: drop it',
    'error: leaves type public.mood', '  fix: drop it', '3 problems found; nothing was run and the database was not changed.',
  ].join('\n'));
  assert.is(formatUtc('2026-11-01T09:05:07.123Z'), '2026-11-01 09:05:07 UTC');
  assert.is(formatUtc(new Date('2026-01-02T03:04:59.999Z'), 'minute'), '2026-01-02 03:04 UTC');
});

test.run();
