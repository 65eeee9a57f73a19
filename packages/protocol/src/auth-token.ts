/**
 * How a client carries a capability token to the server. Either way works with every client:
 *
 * - the query parameter `TOKEN_PARAM`: `ws://host:1234/my-doc?token=<jwt>` (stock y-websocket
 *   clients pass it with `params: { token }`);
 * - the `Sec-WebSocket-Protocol` header, keeping the token out of URLs and access logs: offer
 *   `tokenSubprotocols(token)`, i.e. `weft` and `weft-token.<jwt>`. The server only ever answers
 *   with the non-secret `weft`, so the token is never echoed back.
 *
 * @example
 * new WebSocket(`ws://host:1234/my-doc`, tokenSubprotocols(jwt))
 * new WebsocketProvider('ws://host:1234', 'my-doc', doc, { params: { token: jwt } })
 */
export const TOKEN_PARAM = 'token';

/** The subprotocol the server selects when a client offers subprotocols. */
export const WEFT_SUBPROTOCOL = 'weft';

/** Prefix of the subprotocol that carries a token; a JWT (base64url and dots) is a valid subprotocol token. */
export const TOKEN_SUBPROTOCOL_PREFIX = 'weft-token.';

/** What a connection may do with its document. */
export type Access = 'read' | 'write';

/** The reason sent with the y-protocols permission-denied message when a read-only peer writes. */
export const READ_ONLY_REASON = 'read-only access: the update was not applied';

/** The subprotocols a client offers to pass `token`: `['weft', 'weft-token.<token>']`. */
export function tokenSubprotocols(token: string): string[] {
  return [WEFT_SUBPROTOCOL, `${TOKEN_SUBPROTOCOL_PREFIX}${token}`];
}

/**
 * The token a client offered, from the subprotocols of its upgrade request, else from the query
 * string of `url`; `undefined` when it sent none.
 */
export function tokenFromRequest(url: string, subprotocols: Iterable<string>): string | undefined {
  for (const protocol of subprotocols) {
    if (protocol.startsWith(TOKEN_SUBPROTOCOL_PREFIX)) return protocol.slice(TOKEN_SUBPROTOCOL_PREFIX.length);
  }
  const query = url.includes('?') ? url.slice(url.indexOf('?') + 1) : '';
  const token = new URLSearchParams(query).get(TOKEN_PARAM);
  return token === null || token === '' ? undefined : token;
}
