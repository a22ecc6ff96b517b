// Errors of the shared core, declared once with codes. The on-chip interpreter loses `message`
// on subclasses of Error and has no `name` on built-in errors, so callers match on `code`.

export type SharedErrorCode =
  | 'FOB_INVALID'
  | 'WIEGAND_LENGTH'
  | 'WIEGAND_PARITY'
  | 'CONFIG_INVALID'
  | 'LIST_MALFORMED'
  | 'LIST_SIGNATURE'
  | 'LIST_DIGEST'
  | 'LIST_ROLLBACK'
  | 'LIST_WRONG_MACHINE'
  | 'DELTA_WRONG_BASE'
  | 'DELTA_MALFORMED';

/** A plain object error (not a subclass of Error: see docs/on-chip.md). */
export interface SharedError {
  code: SharedErrorCode;
  message: string;
}

export function sharedError(code: SharedErrorCode, message: string): SharedError {
  return { code: code, message: message };
}

/** Result of an operation that fails with a typed error instead of throwing. */
export type Result<T> = { ok: true; value: T } | { ok: false; error: SharedError };

export function ok<T>(value: T): Result<T> {
  return { ok: true, value: value };
}

export function fail<T>(code: SharedErrorCode, message: string): Result<T> {
  return { ok: false, error: sharedError(code, message) };
}
