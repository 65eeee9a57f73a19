/**
 * One outgoing message, framed once as a WebSocket frame for all of its receivers.
 *
 * `ws` frames every `send` on its own: a new header buffer and a corked two-buffer write per
 * receiver. A broadcast to N peers sends N identical frames, so the room builds the frame once and
 * each connection writes the same bytes to its socket, which is one plain write per receiver.
 */
export interface SharedFrame {
  /** The y-protocols message (what a receiver decodes). */
  readonly message: Uint8Array;
  /** The message as a complete server-to-client WebSocket frame: FIN, binary, unmasked. */
  readonly wire: Buffer;
}

const FIN_BINARY = 0x82;

/** Frames `message` per RFC 6455 §5.2; servers never mask, so the bytes suit every receiver. */
export function shareFrame(message: Uint8Array): SharedFrame {
  const length = message.byteLength;
  const headerLength = length < 126 ? 2 : length < 65_536 ? 4 : 10;
  const wire = Buffer.allocUnsafe(headerLength + length);
  wire[0] = FIN_BINARY;
  if (length < 126) {
    wire[1] = length;
  } else if (length < 65_536) {
    wire[1] = 126;
    wire.writeUInt16BE(length, 2);
  } else {
    wire[1] = 127;
    wire.writeBigUInt64BE(BigInt(length), 2);
  }
  wire.set(message, headerLength);
  return { message, wire };
}
