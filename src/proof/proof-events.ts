/** What dump and check say while they work: which shadow database (one line each), and notes. */
export interface ProofEvents {
  shadow(description: string): void;
  note(message: string): void;
}
