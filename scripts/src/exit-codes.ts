// Exit codes shared by the fobgate command-line tools, so scripts can tell failures apart.
export const EXIT = {
  OK: 0,
  /** The operation ran and failed (validation errors, verification mismatch, unit not answering). */
  FAILED: 1,
  /** Bad command line. */
  USAGE: 2,
  /** The server could not be reached or refused our credentials. */
  SERVER: 3,
  /** Serial port problems: none, several, permission denied. */
  PORT: 4,
  /** --wait ran out of time before every online unit held the new list. */
  TIMEOUT: 5,
} as const;
