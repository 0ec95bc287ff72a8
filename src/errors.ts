/**
 * Problems a user can cause are data (`Problem`), collected and reported together.
 * `StrataError` carries problems across a boundary where a report cannot be returned
 * (configuration, connection); it always has a stable code.
 */
export type ProblemCode =
  // files and folders
  | 'DIR_MISSING'
  | 'DIR_UNREADABLE'
  /** strata init / new could not write a file into the project */
  | 'FILE_WRITE_FAILED'
  | 'FOLDER_NAME_INVALID'
  | 'STRAY_SQL_FILE'
  | 'FILE_MISSING'
  | 'FILE_UNREADABLE'
  | 'FILE_OUTSIDE_DIR'
  | 'FILE_TOO_LARGE'
  | 'FILE_ENCODING'
  /** a file strata had read changed before strata was done with it (an edit during the run) */
  | 'FILE_CHANGED'
  | 'DUPLICATE_TIMESTAMP'
  // headers
  | 'HEADER_MALFORMED'
  | 'HEADER_UNKNOWN_KEY'
  | 'HEADER_REPEATED_KEY'
  | 'HEADER_WRONG_FILE'
  | 'HEADER_MISPLACED'
  | 'HEADER_BAD_VALUE'
  | 'HEADER_MISSING_PARENT'
  | 'DUPLICATE_TAG'
  /** a squashed revision's Replaces line and the replaced folders on disk disagree */
  | 'SQUASH_INVALID'
  /** a database applied part of a squashed range whose folders are gone */
  | 'SQUASH_INCOMPLETE'
  // chain
  | 'CHAIN_FORK'
  | 'CHAIN_PARENT_UNKNOWN'
  | 'CHAIN_PARENT_MISMATCH'
  // SQL read before anything runs
  | 'SQL_SYNTAX'
  | 'SQL_META_COMMAND'
  | 'SQL_TOO_DEEP'
  | 'SQL_COPY_FROM_STDIN'
  | 'SQL_TRANSACTION_CONTROL'
  | 'SQL_EMPTY'
  | 'SQL_NEEDS_NO_TRANSACTION'
  /** a Transaction: off revision leaves a transaction block open at its end */
  | 'SQL_TRANSACTION_LEFT_OPEN'
  /** a Lint-allow header or strata:allow comment names a rule that does not exist */
  | 'LINT_ALLOW_UNKNOWN_RULE'
  /** strata check: an error-severity lint finding */
  | 'LINT_FINDING'
  // plan
  | 'APPLIED_EDITED'
  | 'APPLIED_MISSING'
  | 'OUT_OF_ORDER'
  | 'TARGET_INVALID'
  | 'TARGET_UNKNOWN'
  | 'TARGET_AMBIGUOUS'
  | 'IRREVERSIBLE'
  | 'NOT_TRANSACTIONAL_IN_SINGLE_TRANSACTION'
  // resuming a Transaction: off revision that failed part way
  /** a statement that an earlier run applied changed since */
  | 'RESUME_CHANGED'
  /** the run that applied the first statements ended without recording what became of the next one */
  | 'RESUME_UNKNOWN'
  /** the statement an earlier run sent may still be running on the server */
  | 'RESUME_STILL_RUNNING'
  /** strata down while a revision after the applied ones is partly applied */
  | 'PARTIAL_REVISION'
  /** check --locks: PostgreSQL locked or rewrote otherwise than lint predicted */
  | 'LOCK_TRACE_MISMATCH'
  // environment
  | 'CONFIG_INVALID'
  | 'ARGUMENT_INVALID'
  | 'CONNECTION_FAILED'
  | 'DATABASE_ERROR'
  | 'EMBEDDED_STORAGE'
  | 'LOCK_TIMEOUT'
  /** the tracking schema is at a version newer than this strata knows (a newer strata upgraded it) */
  | 'TRACKING_TOO_NEW'
  | 'EMBEDDED_IN_USE'
  | 'REVISION_EXISTS'
  // shadow databases and what is proven on them (dump, check)
  /** the shadow database holds objects already: strata never wipes one */
  | 'SHADOW_NOT_EMPTY'
  /** no shadow database could be had (no right to create one on the server) */
  | 'SHADOW_UNAVAILABLE'
  /** a revision failed while the shadow was migrated */
  | 'SHADOW_MIGRATION_FAILED'
  /** down.sql does not return the schema to what it was before up.sql, or up.sql again gives another schema */
  | 'ROUND_TRIP_FAILED'
  /** an Irreversible revision: not round-tripped */
  | 'ROUND_TRIP_SKIPPED'
  /** schema.sql is not what the migrations produce */
  | 'SCHEMA_SQL_STALE'
  /** strata check --live: the database differs from what its applied revisions make */
  | 'SCHEMA_DRIFT'
  | 'SCHEMA_SQL_MISSING'
  /** schema.sql names the migrations' head but declares objects otherwise: edited ahead of them (strata new --from-schema) */
  | 'SCHEMA_SQL_AHEAD'
  /** schema.sql does not load on an empty shadow database */
  | 'SCHEMA_SQL_INVALID'
  // the declarative commands (diff, new --from-schema)
  /** a `-- strata:renamed-from` hint in schema.sql or a --rename that names nothing (or is malformed) */
  | 'RENAME_HINT_INVALID'
  /** a change of schema.sql the generator does not make, by name */
  | 'DECLARE_REFUSED'
  /** a destructive change refused by --no-destructive */
  | 'DECLARE_DESTRUCTIVE'
  /** the generated revision did not pass its proof on the shadow: nothing was written */
  | 'DECLARE_PROOF_FAILED'
  /** a squashed revision does not reach what its range reaches (or back): nothing was written */
  | 'SQUASH_PROOF_FAILED'
  /** kinds of objects the snapshot does not model: dump cannot recreate them, check cannot compare them */
  | 'UNMODELLED_OBJECTS';

export interface Problem {
  code: ProblemCode;
  message: string;
  /** path as shown to the user, relative to the working directory when inside it */
  file?: string;
  /** 1-based */
  line?: number;
  /** 1-based, in code points */
  column?: number;
  /** what to do about it */
  hint?: string;
  /** the id of the revision it concerns, when it concerns one: modules that act on a problem read this, never the message or the path */
  revision?: string;
  /** the database object it names, when it names one */
  object?: DatabaseObject;
  /** the lines of `file` around `line`:`column`, with a caret (see attachCodeFrames) */
  codeFrame?: string;
  /** the object it is listed under when problems read as a review: a column's, an index's ... table (see proof/change-problems.ts) */
  group?: string;
}

/** A database object a problem names, e.g. `{ kind: 'schema', name: 'strata' }` or `{ kind: 'table', schema: 'public', name: 'users' }`. */
export interface DatabaseObject {
  /** as PostgreSQL's DDL names it: 'schema', 'table', 'index', 'function' ... */
  kind: string;
  /** the schema it is in; absent for a schema itself and other database-wide objects */
  schema?: string;
  name: string;
}

export class StrataError extends Error {
  readonly code: ProblemCode;
  readonly problems: Problem[];
  constructor(code: ProblemCode, problem: Omit<Problem, 'code'> | Problem[]) {
    const problems = Array.isArray(problem) ? problem : [{ code, ...problem }];
    super(problems.map((p) => p.message).join('\n'));
    this.name = 'StrataError';
    this.code = code;
    this.problems = problems;
  }
}

/**
 * A command that could not start because of the database (not reachable, its lock or the
 * embedded database held elsewhere, strata's own queries refused): nothing was changed.
 */
export interface Unavailable {
  ok: false;
  reason: 'unavailable';
  problems: Problem[];
}

export function problem(code: ProblemCode, fields: Omit<Problem, 'code'>): Problem {
  return { code, ...fields };
}

/** `file:line:col` as editors and terminals understand it */
export function formatLocation(p: Pick<Problem, 'file' | 'line' | 'column'>): string {
  if (!p.file) return '';
  if (p.line === undefined) return p.file;
  return p.column === undefined ? `${p.file}:${p.line}` : `${p.file}:${p.line}:${p.column}`;
}

/** Closest candidate by edit distance, when it is close enough to be a plausible typo. */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  const lower = word.toLowerCase();
  for (const candidate of candidates) {
    const distance = editDistance(lower, candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  const allowed = Math.max(2, Math.floor(word.length / 3));
  return bestDistance <= allowed ? best : undefined;
}

function editDistance(a: string, b: string): number {
  const previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = previous[0]!;
    previous[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = previous[j]!;
      previous[j] = Math.min(above + 1, previous[j - 1]! + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return previous[b.length]!;
}
