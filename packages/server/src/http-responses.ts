import type { Duplex } from 'node:stream';

/** Answers an upgrade request with a plain HTTP error and closes the socket (no WebSocket is made). */
export function rejectUpgrade(socket: Duplex, status: number, reason: string): void {
  // Node removed its own 'error' listener before emitting 'upgrade'; a client that resets the
  // connection would otherwise raise an unhandled 'error' and end the process.
  socket.on('error', () => undefined);
  const statusText: Record<number, string> = { 400: 'Bad Request', 404: 'Not Found', 503: 'Service Unavailable' };
  const body = `${reason}\n`;
  socket.end(
    `HTTP/1.1 ${status} ${statusText[status] ?? 'Error'}\r\n` +
      'Connection: close\r\nContent-Type: text/plain; charset=utf-8\r\n' +
      `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}
