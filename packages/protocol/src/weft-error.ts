/** Error codes shared by server and client. Stable strings: callers branch on them. */
export type WeftErrorCode =
  | 'malformed-message'
  | 'unknown-message-type'
  | 'invalid-document-name'
  | 'message-too-large'
  | 'document-corrupt'
  | 'storage-failed'
  | 'data-dir-locked'
  | 'server-closed'
  | 'permission-denied'
  | 'unauthenticated'
  | 'forbidden'
  | 'too-many-documents'
  | 'limit-exceeded'
  | 'client-id-in-use'
  | 'connection-closed'
  | 'persistence-failed';

/**
 * The one error class of Weft. `code` is stable and meant for branching; `message` is for people.
 *
 * @example
 * throw new WeftError('invalid-document-name', `"${name}" contains "/.."`)
 */
export class WeftError extends Error {
  readonly code: WeftErrorCode;

  constructor(code: WeftErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'WeftError';
    this.code = code;
  }
}

/** True when `error` is a WeftError with the given code (or any code when omitted). */
export function isWeftError(error: unknown, code?: WeftErrorCode): error is WeftError {
  return error instanceof WeftError && (code === undefined || error.code === code);
}
