/** Every lint rule, in the order docs/lint.md lists them. */
import type { LintRule } from './rule.js';
import { COLUMN_RULES } from './rules-columns.js';
import { CONSTRAINT_RULES } from './rules-constraints.js';
import { HABIT_RULES } from './rules-habits.js';
import { INDEX_RULES } from './rules-indexes.js';
import { OBJECT_RULES } from './rules-objects.js';

export const LINT_RULES: readonly LintRule[] = [...INDEX_RULES, ...CONSTRAINT_RULES, ...COLUMN_RULES, ...OBJECT_RULES, ...HABIT_RULES];

export const RULE_IDS: readonly string[] = LINT_RULES.map((r) => r.id);

export function ruleById(id: string): LintRule | undefined {
  return LINT_RULES.find((r) => r.id === id);
}
