import type { IncomingMessage } from 'node:http';
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import { CloseCode, Extension, encodeError, extensionsFromUrl, fitCloseReason } from '@weft/protocol';
import type { WebSocketServer } from 'ws';

/** The refusals a client must not retry, as the close codes that say so. */
const permanentCloseCodes: Readonly<Record<number, number>> = {
  400: CloseCode.badRequest,
  401: CloseCode.unauthenticated,
  403: CloseCode.forbidden,
  404: CloseCode.documentUnavailable,
};

/** How long a client refused in-band has to answer the close handshake before its socket is cut. */
const IN_BAND_REFUSAL_GRACE_MS = 2_000;

export interface UpgradeRefusal {
  request: IncomingMessage;
  socket: Duplex;
  head: Buffer;
  status: number;
  reason: string;
}

/**
 * Refuses an upgrade so the client can tell why. Browsers hide the HTTP status of a refused upgrade
 * (the page sees close 1006 and would retry forever), so a client that announced the `error`
 * extension gets a permanent refusal in-band: the upgrade completes, the error message and close
 * code 4000 + status follow at once, and nothing is loaded. Everyone else gets the HTTP status.
 */
export function refuseUpgrade(wss: WebSocketServer, refusal: UpgradeRefusal): void {
  const { request, socket, head, status, reason } = refusal;
  // Node removed its own 'error' listener before emitting 'upgrade', and a refused peer that resets
  // or sends garbage concerns nobody; without a listener it would end the process.
  socket.on('error', () => undefined);
  const code = permanentCloseCodes[status];
  if (code === undefined || !extensionsFromUrl(request.url ?? '/').has(Extension.error)) {
    rejectUpgrade(socket, status, reason);
    return;
  }
  wss.handleUpgrade(request, socket, head, (ws) => {
    ws.on('error', () => undefined);
    ws.send(encodeError(code, reason));
    ws.close(code, fitCloseReason(reason));
    // ws waits 30 s for the peer's half of the close handshake; a refused peer gets far less.
    const cut = setTimeout(() => ws.terminate(), IN_BAND_REFUSAL_GRACE_MS);
    cut.unref();
    ws.once('close', () => clearTimeout(cut));
  });
}

/** Answers an upgrade request with a plain HTTP error and closes the socket (no WebSocket is made). */
function rejectUpgrade(socket: Duplex, status: number, reason: string): void {
  const body = `${reason}\n`;
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\n` +
      'Connection: close\r\nContent-Type: text/plain; charset=utf-8\r\n' +
      `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}
