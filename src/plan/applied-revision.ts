/** A row of the tracking table `<schema>.revisions`. */
export interface AppliedRevision {
  id: string;
  parent: string;
  message: string | null;
  tags: string[];
  upChecksum: string;
  downChecksum: string;
  /** the whole down.sql (normalised, header included) as it was when applied */
  downText: string;
  appliedAt: Date;
  appliedBy: string;
  durationMs: number;
}
