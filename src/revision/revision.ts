export interface RevisionFile {
  /** path as printed, e.g. migrations/20261125123456_add_orders/up.sql */
  path: string;
  /** the whole file, normalised (no BOM, LF line endings): what line numbers refer to */
  text: string;
  /** the text after the header: what runs and what is hashed */
  body: string;
  /** UTF-16 index of the body in `text` */
  bodyOffset: number;
  /** sha-256 (hex) of the body */
  checksum: string;
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
  /** false for `--! Transaction: off` */
  transactional: boolean;
  up: RevisionFile;
  down: DownFile;
}
