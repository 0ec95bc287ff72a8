// Writes the rule reference of docs/lint.md (between its BEGIN/END RULES markers) from the rule
// registry, so the page lists exactly what the code checks: `npm run build --silent && node scripts/lint-docs.mjs`.
// test/unit/lint-rules.test.ts asserts the two agree.
import { readFileSync, writeFileSync } from 'node:fs';

const { LINT_RULES } = await import('../dist/src/lint/rules.js');
const file = new URL('../docs/lint.md', import.meta.url);
const page = readFileSync(file, 'utf8');
const begin = '<!-- BEGIN RULES (written by scripts/lint-docs.mjs) -->';
const end = '<!-- END RULES -->';
const mode = (example) => (example.transactional === undefined ? '' : example.transactional ? ' (transactional revision)' : ' (`--! Transaction: off`)');
const sections = LINT_RULES.map((rule) => [
  `### \`${rule.id}\``,
  '',
  `**${rule.severity}**${rule.oncePerFile ? ' · reported once per file' : ''} · lock: ${rule.lock}`,
  '',
  rule.why,
  '',
  `Safe rewrite: ${rule.fix}`,
  '',
  `Bad${mode(rule.bad)}:`,
  '```sql',
  rule.bad.sql,
  '```',
  `Good${mode(rule.good)}:`,
  '```sql',
  rule.good.sql,
  '```',
].join('\n'));
// the lock up to its first ':' outside parentheses (a parenthesis is never cut open)
const summaryOf = (lock) => {
  let depth = 0;
  for (let i = 0; i < lock.length; i += 1) {
    if (lock[i] === '(') depth += 1;
    else if (lock[i] === ')') depth -= 1;
    else if (lock[i] === ':' && depth === 0) return lock.slice(0, i);
  }
  return lock;
};
const index = ['| rule | severity | lock |', '|---|---|---|', ...LINT_RULES.map((r) => `| [\`${r.id}\`](#${r.id}) | ${r.severity} | ${summaryOf(r.lock)} |`)].join('\n');
const start = page.indexOf(begin);
const stop = page.indexOf(end);
if (start === -1 || stop === -1) throw new Error(`docs/lint.md needs the markers ${begin} and ${end}`);
writeFileSync(file, `${page.slice(0, start + begin.length)}\n\n${LINT_RULES.length} rules.\n\n${index}\n\n${sections.join('\n\n')}\n\n${page.slice(stop)}`);
