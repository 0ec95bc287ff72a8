/** A row of the tracking table `<schema>.revisions`. */
export interface AppliedRevision {
  id: string;
  parent: string;
  message: string | null;
  tags: string[];
  /** as recorded: `v2:<hex>`, or a bare hex from earlier releases; compare with matchesRecorded (revision/checksums.ts) */
  upChecksum: string;
  downChecksum: string;
  /** the whole down.sql (header included) as it was when applied: its body is what a revert sends (rows of earlier releases hold it with LF line endings) */
  downText: string;
  appliedAt: Date;
  appliedBy: string;
  durationMs: number;
}
