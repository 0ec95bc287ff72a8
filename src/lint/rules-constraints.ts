/** Rules about constraints that scan a table under a lock, and how to validate them without one. */
import { addedConstraints, alterTableCommands, onExistingTable } from './ast-helpers.js';
import { formatRelation, isSameRelation } from './relation-names.js';
import { hit, type LintRule } from './rule.js';
import { LOCK_TIMEOUT } from './rules-indexes.js';

export const CONSTRAINT_RULES: LintRule[] = [
  {
    id: 'foreign-key-not-valid',
    severity: 'error',
    lock: 'SHARE ROW EXCLUSIVE on both tables while every row is checked: writes to both wait',
    why: 'ADD FOREIGN KEY checks every existing row against the referenced table while holding locks that block writes to both tables.',
    fix: 'ADD CONSTRAINT ... FOREIGN KEY ... NOT VALID (instant: only new rows are checked), then in a later transaction ALTER TABLE ... VALIDATE CONSTRAINT, which takes only SHARE UPDATE EXCLUSIVE.',
    bad: { sql: 'alter table app.orders add constraint orders_customer_fk foreign key (customer_id) references app.customers (id);' },
    good: { sql: 'alter table app.orders add constraint orders_customer_fk foreign key (customer_id) references app.customers (id) not valid;' },
    check: (context) => addedConstraints(context)
      .filter(({ constraint }) => constraint.contype === 'CONSTR_FOREIGN' && !constraint.skip_validation)
      .map(({ relation, constraint, location }) => hit(`a foreign key from ${formatRelation(relation)}${constraint.pktable?.relname ? ` to ${formatRelation({ ...(constraint.pktable.schemaname ? { schema: constraint.pktable.schemaname } : {}), name: constraint.pktable.relname })}` : ''} is checked against every existing row while writes to both tables wait`, location)),
  },
  {
    id: 'check-constraint-not-valid',
    severity: 'error',
    lock: 'ACCESS EXCLUSIVE on the table while every row is checked: reads and writes wait',
    why: 'ADD CONSTRAINT ... CHECK scans the whole table under ACCESS EXCLUSIVE.',
    fix: 'ADD CONSTRAINT ... CHECK (...) NOT VALID (instant), then in a later transaction VALIDATE CONSTRAINT (SHARE UPDATE EXCLUSIVE: reads and writes continue).',
    bad: { sql: `${LOCK_TIMEOUT}alter table app.orders add constraint orders_total_positive check (total_cents >= 0);` },
    good: { sql: `${LOCK_TIMEOUT}alter table app.orders add constraint orders_total_positive check (total_cents >= 0) not valid;` },
    check: (context) => addedConstraints(context)
      .filter(({ constraint }) => constraint.contype === 'CONSTR_CHECK' && !constraint.skip_validation)
      .map(({ relation, location }) => hit(`a CHECK constraint on ${formatRelation(relation)} scans every row while reads and writes wait`, location)),
  },
  {
    id: 'set-not-null-without-check',
    severity: 'error',
    lock: 'ACCESS EXCLUSIVE on the table while every row is scanned for NULLs',
    why: 'SET NOT NULL scans the whole table under ACCESS EXCLUSIVE, unless a validated CHECK (column IS NOT NULL) already proves it (PostgreSQL 12+).',
    fix: 'ADD CONSTRAINT c CHECK (column IS NOT NULL) NOT VALID; VALIDATE CONSTRAINT c (in its own transaction); then SET NOT NULL, which uses the check instead of scanning; then DROP CONSTRAINT c.',
    bad: { sql: `${LOCK_TIMEOUT}alter table app.users alter column email set not null;` },
    good: {
      sql: `${LOCK_TIMEOUT}alter table app.users add constraint users_email_not_null check (email is not null) not valid;\nalter table app.users validate constraint users_email_not_null;\nalter table app.users alter column email set not null;\nalter table app.users drop constraint users_email_not_null;`,
      transactional: false,
    },
    check: (context) => onExistingTable(context, 'AT_SetNotNull')
      .filter(({ relation, cmd }) => !context.hasValidatedNotNullCheck(relation, cmd.name ?? ''))
      .map(({ relation, cmd, table }) => hit(`SET NOT NULL on ${formatRelation(relation)}.${cmd.name ?? ''} scans every row while reads and writes wait, with no validated CHECK (${cmd.name ?? ''} IS NOT NULL) to rely on`, table.location)),
  },
  {
    id: 'validate-in-same-transaction',
    severity: 'warning',
    lock: 'the lock of the ADD CONSTRAINT (ACCESS EXCLUSIVE, or SHARE ROW EXCLUSIVE for a foreign key) is still held during the validating scan',
    why: 'NOT VALID followed by VALIDATE CONSTRAINT only helps when they commit separately: in one transaction the strong lock of the ADD is held until the scan ends, as if NOT VALID had not been written.',
    fix: "Validate in a later revision, or make the revision '--! Transaction: off' so each statement commits on its own.",
    bad: { sql: `${LOCK_TIMEOUT}alter table app.orders add constraint orders_customer_fk foreign key (customer_id) references app.customers (id) not valid;\nalter table app.orders validate constraint orders_customer_fk;`, transactional: true },
    good: { sql: `${LOCK_TIMEOUT}alter table app.orders add constraint orders_customer_fk foreign key (customer_id) references app.customers (id) not valid;\nalter table app.orders validate constraint orders_customer_fk;`, transactional: false },
    check: (context) => onExistingTable(context, 'AT_ValidateConstraint').filter(({ relation, cmd }) => context.earlierInTransaction.some((earlier) => alterTableCommands(earlier.ast)
      .some((a) => a.cmd.subtype === 'AT_AddConstraint' && isSameRelation(a.relation, relation) && a.cmd.def && 'Constraint' in a.cmd.def && a.cmd.def.Constraint.conname === cmd.name)))
      .map(({ cmd, table }) => hit(`${cmd.name ?? 'the constraint'} is validated in the transaction that added it: the lock taken to add it is held through the scan`, table.location)),
  },
];
