import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';

/** Answers an upgrade request with a plain HTTP error and closes the socket (no WebSocket is made). */
export function rejectUpgrade(socket: Duplex, status: number, reason: string): void {
  // Node removed its own 'error' listener before emitting 'upgrade'; a client that resets the
  // connection would otherwise raise an unhandled 'error' and end the process.
  socket.on('error', () => undefined);
  const body = `${reason}\n`;
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\n` +
      'Connection: close\r\nContent-Type: text/plain; charset=utf-8\r\n' +
      `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}
