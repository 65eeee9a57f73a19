import { EXTENSIONS_PARAM, Extension, tokenSubprotocols } from '@weft/protocol';
import type { WebSocketConstructor } from './transport.ts';

/** A token, or a function called before every (re)connect for a fresh one. */
export type TokenSource = string | (() => string | Promise<string>);

export interface TargetOptions {
  url: string;
  name: string;
  token?: TokenSource;
  params?: Record<string, string>;
}

/** Each segment is percent-encoded; `/` stays a separator, as the server's name rules expect. */
const documentPath = (name: string) => name.split('/').map(encodeURIComponent).join('/');

/**
 * The next connection attempt: `<url>/<name>?<params>&weft=ack,error`, with the token (if any) in
 * the `Sec-WebSocket-Protocol` header, which stays out of URLs and access logs. The token function
 * is called every time, so an expired token is replaced on reconnect.
 */
export async function resolveTarget(options: TargetOptions): Promise<{ url: string; protocols?: string[] }> {
  const query = new URLSearchParams(options.params);
  query.set(EXTENSIONS_PARAM, `${Extension.durableAck},${Extension.error}`);
  const url = `${options.url.replace(/\/+$/, '')}/${documentPath(options.name)}?${query}`;
  const token = typeof options.token === 'function' ? await options.token() : options.token;
  return token === undefined ? { url } : { url, protocols: tokenSubprotocols(token) };
}

/** The given implementation, else the global WebSocket (browsers, Node >= 22), else the `ws` package. */
export async function resolveWebSocket(given: WebSocketConstructor | undefined): Promise<WebSocketConstructor> {
  if (given) return given;
  if (typeof globalThis.WebSocket === 'function') return globalThis.WebSocket as unknown as WebSocketConstructor;
  // A variable specifier keeps bundlers from pulling `ws` into browser builds.
  const wsModule = 'ws';
  const imported = (await import(/* @vite-ignore */ wsModule)) as { WebSocket: WebSocketConstructor };
  return imported.WebSocket;
}
