/** Frames exchanged between tabs of one browser that have the same document open. */
export interface CrossTabChannel {
  post(frame: Uint8Array): void;
  close(): void;
}

/**
 * A BroadcastChannel carrying the same y-protocols frames as the WebSocket, so tabs sync with each
 * other instantly and while offline. Returns undefined where BroadcastChannel does not exist.
 */
export function createCrossTabChannel(name: string, onFrame: (frame: Uint8Array) => void): CrossTabChannel | undefined {
  if (typeof BroadcastChannel === 'undefined') return undefined;
  const channel = new BroadcastChannel(name);
  channel.onmessage = (event: MessageEvent) => {
    if (event.data instanceof Uint8Array) onFrame(event.data);
  };
  return {
    post: (frame) => channel.postMessage(frame),
    close: () => channel.close(),
  };
}
