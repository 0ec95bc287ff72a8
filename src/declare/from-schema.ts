import { rmSync } from 'node:fs';
import path from 'node:path';
import type { StrataConfig } from '../config.js';
import { problem, type Problem } from '../errors.js';
import { SCHEMA_FILE } from '../proof/dump.js';
import type { ProofEvents } from '../proof/proof-events.js';
import { countFindings, lintRevisions, type LintCounts } from '../lint/lint-revisions.js';
import type { LintFinding } from '../lint/lint-files.js';
import { nextRevision, writeProjectFile, writeRevisionFolder } from '../project/project-files.js';
import { revisionFromTexts, type RevisionSet } from '../revision/build-revisions.js';
import { generatedRevisionTexts } from '../revision/templates.js';
import { reportedChanges, type ReportedChange } from '../schema/model/diff.js';
import { renderSchema } from '../schema/model/render.js';
import { withDeclaredSchema, type DeclareFailure, type DeclareOptions, type Declared } from './declared-schema.js';
import { renderMigration, type GeneratedStatement, type Refusal, type RenameHint } from './plan-migration.js';
import { proveMigration, type ProofSummary } from './prove-migration.js';
import { declarationLines } from './schema-hints.js';

/**
 * strata diff: the SQL of the revision that would take the migrations' schema to schema.sql's,
 * printed, nothing written. strata new --from-schema: that revision, proven on a shadow
 * (prove-migration.ts) and only then written, with schema.sql written again as strata dump writes
 * it at the new head (its rename hints have done their work, and check finds it current).
 */

/** A destructive statement, by the object it concerns and what it loses. */
export interface DestructiveChange {
  direction: 'up' | 'down';
  identity: string;
  reason: string;
}

export interface GeneratedRevision {
  /** what schema.sql declares otherwise than the migrations make it, in review order */
  changes: ReportedChange[];
  up: GeneratedStatement[];
  down: GeneratedStatement[];
  /** the bodies of up.sql and down.sql, below their header */
  upSql: string;
  downSql: string;
  /** 'off': up.sql is written with `--! Transaction: off` (an enum value added and used in the same revision) */
  transaction: 'on' | 'off';
  /** the same for down.sql */
  downTransaction: 'on' | 'off';
  destructive: DestructiveChange[];
  /** the renames given (schema.sql's hints and --rename), as the generator took them */
  renames: RenameHint[];
  /** a drop and an add that may be one rename: how to say so */
  renameSuggestions: Array<{ from: string; to: string; hint: string }>;
  /** the shadow databases used, one line each */
  shadows: string[];
}

/**
 * The lint rules over the revision written: what a reviewer (and `strata check`, which fails on
 * error findings) will see in it, e.g. an index built on an existing table inside a transaction.
 */
export interface GeneratedLint { findings: LintFinding[]; counts: LintCounts }

/** The generator refused changes (by name), or --no-destructive refused destructive ones: nothing written. */
export interface Refused { ok: false; reason: 'refused'; refused: Refusal[]; problems: Problem[]; changes: ReportedChange[]; shadows: string[] }

export type DiffReport = ({ ok: true } & GeneratedRevision) | Refused | DeclareFailure;

export type NewFromSchemaReport =
  | ({ ok: true; result: 'created'; id: string; parent: string; files: { up: string; down: string }; schemaFile: string; proof: ProofSummary; lint: GeneratedLint } & GeneratedRevision)
  /** schema.sql declares what the migrations make: nothing written */
  | { ok: true; result: 'nothing to do'; shadows: string[] }
  | Refused
  /** the proof failed (what differed is in `problems` and `changes`), or a file could not be written: nothing written */
  | { ok: false; reason: 'failed'; problems: Problem[]; changes: ReportedChange[]; proof: ProofSummary | null }
  | DeclareFailure;

export function diffFromSchema(config: StrataConfig, set: RevisionSet, events: ProofEvents, options: DeclareOptions = {}): Promise<DiffReport> {
  return withDeclaredSchema(config, set, events, options, async (declared): Promise<DiffReport> => {
    const generated = generatedFrom(declared, options);
    return 'reason' in generated ? generated : { ok: true, ...generated };
  });
}

export async function newFromSchema(config: StrataConfig, set: RevisionSet, events: ProofEvents, message: string, options: DeclareOptions & { now?: Date } = {}): Promise<NewFromSchemaReport> {
  const next = nextRevision(config, message, options.now ?? new Date(), set);
  if (!next.ok) return next;
  const proven = await withDeclaredSchema(config, set, events, options, async (declared, shadow): Promise<NewFromSchemaReport | Proven> => {
    if (!declared.plan) return { ok: true, result: 'nothing to do', shadows: declared.shadows };
    const generated = generatedFrom(declared, options);
    if ('reason' in generated) return generated;
    const texts = generatedRevisionTexts(next.parent, next.message, { up: generated.upSql, down: generated.downSql }, { up: generated.transaction === 'on', down: generated.downTransaction === 'on' });
    const candidate = revisionFromTexts(next.id, texts, config.dirLabel);
    if ('problems' in candidate) return { ok: false, reason: 'failed', problems: candidate.problems, changes: generated.changes, proof: null };
    const proof = await proveMigration(shadow.db, config, set, candidate, { ...declared, up: generated.up, down: generated.down }, options.signal);
    if (!proof.ok) return proof.reason === 'interrupted' ? proof : { ok: false, reason: 'failed', problems: proof.problems, changes: proof.changes, proof: proof.summary };
    const linted = await lintRevisions([candidate]);
    const lint = 'findings' in linted ? { findings: linted.findings, counts: linted.counts } : { findings: [], counts: countFindings({ findings: [], allowed: 0 }) };
    return { generated, texts, proof: proof.summary, atHead: proof.afterUp, lint };
  });
  if (!('texts' in proven)) return proven;
  const written = writeRevisionFolder(config, next, proven.texts);
  if (!written.ok) return written;
  const schema = writeProjectFile(config, SCHEMA_FILE, renderSchema(proven.atHead, { head: next.id }));
  if (!schema.ok) {
    // a revision without its schema.sql would leave check failing: neither is kept
    rmSync(path.join(config.dir, next.id), { recursive: true, force: true });
    return { ok: false, reason: 'failed', problems: schema.problems, changes: proven.generated.changes, proof: proven.proof };
  }
  return { ok: true, result: 'created', id: written.id, parent: written.parent, files: written.files, schemaFile: SCHEMA_FILE, proof: proven.proof, lint: proven.lint, ...proven.generated };
}

/** A revision that passed its proof, to be written. */
interface Proven { generated: GeneratedRevision; texts: { up: string; down: string }; proof: ProofSummary; atHead: Declared['desired']; lint: GeneratedLint }

/** The plan as the reports carry it, or what refused it. */
function generatedFrom(declared: Declared, options: DeclareOptions): GeneratedRevision | Refused {
  const changes = reportedChanges(declared.changes);
  const { plan } = declared;
  if (!plan) {
    return { changes, up: [], down: [], upSql: '', downSql: '', transaction: 'on', downTransaction: 'on', destructive: [], renames: declared.renames, renameSuggestions: [], shadows: declared.shadows };
  }
  if (!plan.ok) {
    const lines = declarationLines(declared.text);
    const lineOf = (identity: string) => {
      const object = declared.desired.objects.find((o) => o.identity === identity);
      const parent = object?.parent && declared.desired.objects.find((o) => o.identity === object.parent);
      const kind = object?.kind === 'domain' ? 'type' : object?.kind === 'materialized view' ? 'view' : object?.kind === 'procedure' ? 'function' : object?.kind;
      const line = object && lines.get(`${kind} ${[object.schema, parent && (object.kind === 'column' || object.kind === 'constraint') ? parent.name : undefined, object.name].filter((p) => p !== null && p !== undefined).join('.')}`);
      return line === undefined ? {} : { line };
    };
    const problems = plan.refused.map((r) => problem('DECLARE_REFUSED', {
      file: SCHEMA_FILE, ...lineOf(r.identity), message: `strata cannot write a revision for ${r.identity}: ${r.reason}`,
      hint: 'write this change in a revision by hand (strata new "<message>"), then run strata dump',
    }));
    return { ok: false, reason: 'refused', refused: plan.refused, problems, changes, shadows: declared.shadows };
  }
  const destructive = [...plan.up.map((s) => ['up', s] as const), ...plan.down.map((s) => ['down', s] as const)]
    .flatMap(([direction, s]) => (s.destructive ? [{ direction, identity: s.identity, reason: s.destructive }] : []));
  if (options.destructive === false && destructive.some((d) => d.direction === 'up')) {
    const refused = destructive.filter((d) => d.direction === 'up').map((d) => ({ identity: d.identity, kind: 'destructive', reason: d.reason }));
    const problems = refused.map((r) => problem('DECLARE_DESTRUCTIVE', {
      file: SCHEMA_FILE, message: `${r.identity}: a destructive change (${r.reason}), refused by --no-destructive`,
      hint: 'run it without --no-destructive to write it, with a -- strata: destructive comment above the statement; or declare schema.sql so that nothing is lost',
    }));
    return { ok: false, reason: 'refused', refused, problems, changes, shadows: declared.shadows };
  }
  return {
    changes, up: plan.up, down: plan.down, upSql: renderMigration(plan.up), downSql: renderMigration(plan.down), transaction: plan.transaction,
    downTransaction: plan.downTransaction, destructive, renames: declared.renames, renameSuggestions: plan.renameSuggestions, shadows: declared.shadows,
  };
}
