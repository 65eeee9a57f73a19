/**
 * Weft extensions a client can announce. Stock y-websocket clients announce none and so never
 * receive a message type they do not know.
 *
 * A client announces them with the query parameter `EXTENSIONS_PARAM`, a comma-separated list:
 * `ws://host:1234/my-doc?weft=ack,error`.
 */
export const EXTENSIONS_PARAM = 'weft';

export const Extension = {
  /** The server sends `durable-ack` messages (MessageType.durableAck). */
  durableAck: 'ack',
  /** The server sends an `error` message (MessageType.error) before closing. */
  error: 'error',
} as const;

export type ExtensionName = (typeof Extension)[keyof typeof Extension];

const KNOWN = new Set<string>(Object.values(Extension));

/** Parses the extensions a client announced in a request URL's query string. Unknown names are ignored. */
export function extensionsFromUrl(url: string): Set<ExtensionName> {
  const query = url.includes('?') ? url.slice(url.indexOf('?') + 1) : '';
  const value = new URLSearchParams(query).get(EXTENSIONS_PARAM) ?? '';
  const names = value.split(',').filter((name): name is ExtensionName => KNOWN.has(name));
  return new Set(names);
}
