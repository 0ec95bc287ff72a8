import type { Script } from '../sql/script.js';
import type { LintAllow } from './parse-header.js';

export interface RevisionFile {
  /** path as printed, e.g. migrations/20261125123456_add_orders/up.sql */
  path: string;
  /** the whole file as read, only a leading UTF-8 BOM removed (line endings kept): what line numbers refer to */
  text: string;
  /** the text after the header, exactly as in the file: what is sent to the server */
  body: string;
  /** UTF-16 index of the body in `text` */
  bodyOffset: number;
  /** bodyChecksum(body): `v2:` + sha-256 of the normalised body (checksums.ts); compare with matchesRecorded */
  checksum: string;
  /** the header's `Lint-allow` lines (absent: none) */
  lintAllows?: LintAllow[];
}

export interface DownFile extends RevisionFile {
  transactional: boolean;
  irreversible: string | undefined;
}

export interface Revision {
  id: string;
  /** previous revision id, or 'base' */
  parent: string;
  message: string | undefined;
  tags: string[];
  /** a squashed revision: the ids of the revisions it stands for, in order (`--! Replaces:`); else empty */
  replaces: string[];
  /** false for `--! Transaction: off` */
  transactional: boolean;
  up: RevisionFile;
  down: DownFile;
}

/** A script read from one of a revision's files (or its stored down.sql): the revision travels with it, so a problem about it can say which. */
export type RevisionScript = Script & { revision: string };
