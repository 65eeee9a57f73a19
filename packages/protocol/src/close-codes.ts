/**
 * WebSocket close codes used by Weft. 4400–4499 are permanent: the client must not reconnect.
 * Everything else (1011, 1013, 1006, ...) is transient: reconnect with backoff.
 */
export const CloseCode = {
  /** Normal closure (client or server going away on purpose). */
  normal: 1000,
  /** Server shutting down; reconnect later. */
  goingAway: 1001,
  /** A message whose bytes are not what its type promises (ws uses it for invalid UTF-8). */
  invalidPayload: 1007,
  /** The peer broke a server policy that may pass (rate limit); transient. */
  policyViolation: 1008,
  /** Payload larger than the server's maxPayload. */
  messageTooBig: 1009,
  /** Unexpected server-side failure (e.g. storage); transient. */
  internalError: 1011,
  /**
   * Try again later (e.g. storage temporarily unavailable, too many documents loaded, or the
   * update's client ID is held by another live connection); transient.
   */
  tryAgainLater: 1013,
  /** Malformed frame or message, or an invalid document name. */
  badRequest: 4400,
  /** Missing, invalid or expired credentials (also: the token expired mid-session). */
  unauthenticated: 4401,
  /** Valid credentials without access to this document. */
  forbidden: 4403,
  /** Unknown document, or a document quarantined because its storage is corrupt. */
  documentUnavailable: 4404,
  /** Document, awareness state or pending data exceeds a configured size limit. */
  tooLarge: 4413,
} as const;

export type CloseCodeName = keyof typeof CloseCode;

/** Permanent close codes mean "do not reconnect": retrying cannot succeed without a change. */
export function isPermanentCloseCode(code: number): boolean {
  return code >= 4400 && code <= 4499;
}

const utf8 = new TextEncoder();

/** A close reason may hold at most 123 bytes of UTF-8; longer ones are cut on a character boundary. */
export function fitCloseReason(reason: string): string {
  let fitted = reason;
  while (utf8.encode(fitted).length > 123) fitted = fitted.slice(0, -1);
  // A cut between the halves of a surrogate pair would leave a lone one, which is not valid UTF-8.
  return /[\uD800-\uDBFF]$/.test(fitted) ? fitted.slice(0, -1) : fitted;
}
