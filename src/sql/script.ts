/** SQL text that a step runs, with what is needed to point at its lines: what the parser splits, the executor sends and errors point into. */
export interface Script {
  /** the file the text came from, as printed */
  path: string;
  /** the whole file text (only a BOM removed): line numbers refer to it */
  text: string;
  body: string;
  bodyOffset: number;
  transactional: boolean;
}
