// What core/merge assigns speakers to: a word, or a whole segment without word timestamps.
/** A word, or a whole segment (piece) when there are no word timestamps. */
export interface Unit {
  text: string;
  start: number;
  end: number;
  confidence?: number;
  isWord: boolean;
  speaker: string;
  overlapped: boolean;
  /** Assigned by the transcript or by splitting; skip turn assignment. */
  fixed: boolean;
}
