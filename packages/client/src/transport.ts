import { CloseCode, isPermanentCloseCode } from '@weft/protocol';
import { type BackoffOptions, backoffDelay } from './backoff.ts';
import { createEmitter, type Emitter } from './emitter.ts';
import { createLivenessCheck, type LivenessCheck } from './liveness.ts';

/** The subset of the WebSocket API the transport uses: the browser's, or `ws` in Node. */
export interface WebSocketLike {
  binaryType: string;
  readonly readyState: number;
  onopen: ((event: unknown) => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
  onclose: ((event: { code: number; reason: string }) => void) | null;
  onerror: ((event: unknown) => void) | null;
  send(data: Uint8Array): void;
  close(code?: number, reason?: string): void;
}

export type WebSocketConstructor = new (url: string, protocols?: string | string[]) => WebSocketLike;

/** Where a connection stands. `stopped` follows a permanent close: only `connect()` starts again. */
export type TransportState = 'idle' | 'connecting' | 'open' | 'waiting' | 'stopped';

export interface CloseInfo {
  code: number;
  reason: string;
  /** True when the transport will not reconnect by itself. */
  permanent: boolean;
}

export type TransportEvents = {
  state: (state: TransportState) => void;
  open: () => void;
  frame: (frame: Uint8Array) => void;
  close: (info: CloseInfo) => void;
  retry: (retry: { attempt: number; delayMs: number }) => void;
};

export interface TransportOptions {
  /** Builds the URL (and subprotocols) of the next attempt; called before every connect. */
  resolveTarget(): Promise<{ url: string; protocols?: string[] }>;
  /** A WebSocket implementation; resolved once, before the first attempt. */
  resolveWebSocket(): Promise<WebSocketConstructor>;
  backoff: BackoffOptions;
  /** Silence after which the connection is probed, and then given up. */
  livenessTimeoutMs: number;
  /** Builds the frame that makes the server answer (used as a liveness probe). */
  probe(): Uint8Array;
  random(): number;
  /** Where `online` and `visibilitychange` come from; omitted in Node. */
  environment?: TransportEnvironment;
  /** Whether a permanent close code may still be retried (e.g. 4401 when a fresh token can be fetched). */
  retryPermanent(code: number): boolean;
  /** Consecutive 1009 closes after which the transport stops: retrying the same too-big state cannot succeed. */
  maxTooBigCloses: number;
}

export interface TransportEnvironment {
  addEventListener(type: string, listener: () => void): void;
  removeEventListener(type: string, listener: () => void): void;
  /** True while the page is visible (document.visibilityState === 'visible'). */
  isVisible(): boolean;
}

export interface Transport extends Pick<Emitter<TransportEvents>, 'on'> {
  readonly state: TransportState;
  /** Connects now (also after `stopped` or `idle`); a waiting retry happens at once. */
  connect(): void;
  /** Closes the socket and stays idle until `connect()`. */
  disconnect(): void;
  /** Sends a frame if the socket is open; returns whether it was sent. */
  send(frame: Uint8Array): boolean;
  destroy(): void;
}

const OPEN = 1;

/** Reconnecting WebSocket with full-jitter backoff, liveness probing and page lifecycle hooks. */
export function createTransport(options: TransportOptions): Transport {
  const emitter = createEmitter<TransportEvents>();
  let state: TransportState = 'idle';
  let socket: WebSocketLike | undefined;
  let attempt = 0;
  let tooBigCloses = 0;
  let retryTimer: ReturnType<typeof setTimeout> | undefined;
  let livenessTimer: ReturnType<typeof setInterval> | undefined;
  let liveness: LivenessCheck | undefined;
  // Bumped by every attempt, disconnect and destroy, so a late callback of an old attempt is ignored.
  let generation = 0;
  let destroyed = false;

  const setState = (next: TransportState) => {
    if (next === state) return;
    state = next;
    emitter.emit('state', next);
  };

  const stopTimers = () => {
    clearTimeout(retryTimer);
    clearInterval(livenessTimer);
    retryTimer = undefined;
    livenessTimer = undefined;
  };

  const dropSocket = () => {
    const old = socket;
    socket = undefined;
    if (old === undefined) return;
    old.onopen = old.onmessage = old.onclose = null;
    // `ws` reports closing a socket that is still connecting as an error event; keep a listener.
    old.onerror = () => {};
    try {
      old.close(CloseCode.normal);
    } catch {
      // Closing a socket that never opened can throw in some implementations; it is gone either way.
    }
  };

  const scheduleRetry = () => {
    const delayMs = backoffDelay(attempt, options.backoff, options.random);
    attempt += 1;
    setState('waiting');
    emitter.emit('retry', { attempt, delayMs });
    retryTimer = setTimeout(() => {
      retryTimer = undefined;
      void open();
    }, delayMs);
  };

  const handleClose = (code: number, reason: string) => {
    stopTimers();
    dropSocket();
    tooBigCloses = code === CloseCode.messageTooBig ? tooBigCloses + 1 : 0;
    const permanent =
      (isPermanentCloseCode(code) && !options.retryPermanent(code)) || tooBigCloses >= options.maxTooBigCloses;
    setState(permanent ? 'stopped' : state);
    emitter.emit('close', { code, reason, permanent });
    if (!permanent && !destroyed && state !== 'idle') scheduleRetry();
  };

  const checkLiveness = () => {
    const verdict = liveness?.tick(Date.now());
    if (verdict === 'probe') send(options.probe());
    else if (verdict === 'dead') handleClose(CloseCode.internalError, 'no answer from the server');
  };

  const open = async () => {
    const current = ++generation;
    dropSocket();
    setState('connecting');
    let target: { url: string; protocols?: string[] };
    let WebSocketImpl: WebSocketConstructor;
    try {
      [target, WebSocketImpl] = await Promise.all([options.resolveTarget(), options.resolveWebSocket()]);
    } catch (error) {
      if (current !== generation) return;
      handleClose(CloseCode.tryAgainLater, `could not prepare the connection: ${(error as Error)?.message ?? error}`);
      return;
    }
    if (current !== generation) return;
    let next: WebSocketLike;
    try {
      next = new WebSocketImpl(target.url, target.protocols);
    } catch (error) {
      handleClose(CloseCode.badRequest, `invalid server URL: ${(error as Error)?.message ?? error}`);
      return;
    }
    socket = next;
    next.binaryType = 'arraybuffer';
    next.onopen = () => {
      liveness = createLivenessCheck(options.livenessTimeoutMs, Date.now());
      livenessTimer = setInterval(checkLiveness, Math.max(50, options.livenessTimeoutMs / 4));
      setState('open');
      emitter.emit('open');
    };
    next.onmessage = (event) => {
      liveness?.received(Date.now());
      // The server answered, so it is up: the next outage starts its backoff from the beginning.
      attempt = 0;
      const { data } = event;
      if (data instanceof ArrayBuffer) emitter.emit('frame', new Uint8Array(data));
      else if (ArrayBuffer.isView(data))
        emitter.emit('frame', new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    };
    // A refused upgrade reports `error`, then `close` with 1006. Browsers hide the HTTP status; `ws`
    // names it ("Unexpected server response: 403"), and then it maps to the matching close code.
    let refusedStatus: number | undefined;
    next.onerror = (event) => {
      const match = /Unexpected server response: (4\d\d)/.exec(String((event as { message?: unknown }).message));
      if (match) refusedStatus = Number(match[1]);
    };
    next.onclose = (event) => {
      if (refusedStatus !== undefined && refusedStatus !== 429) {
        handleClose(4000 + refusedStatus, `the server refused the connection (HTTP ${refusedStatus})`);
      } else handleClose(event.code, event.reason);
    };
  };

  const send = (frame: Uint8Array): boolean => {
    if (socket === undefined || socket.readyState !== OPEN) return false;
    socket.send(frame);
    return true;
  };

  const connectNow = () => {
    if (destroyed || state === 'open' || state === 'connecting') return;
    stopTimers();
    void open();
  };

  // A tab coming back or a network returning is the best moment to retry: skip the backoff.
  const retryNow = () => {
    if (state === 'waiting') connectNow();
  };
  const onVisibility = () => {
    if (options.environment?.isVisible()) retryNow();
  };
  options.environment?.addEventListener('online', retryNow);
  options.environment?.addEventListener('visibilitychange', onVisibility);

  return {
    on: emitter.on,
    get state() {
      return state;
    },
    connect() {
      attempt = 0;
      tooBigCloses = 0;
      connectNow();
    },
    disconnect() {
      generation += 1;
      stopTimers();
      const wasOpen = socket !== undefined;
      dropSocket();
      setState('idle');
      if (wasOpen) emitter.emit('close', { code: CloseCode.normal, reason: 'disconnected', permanent: true });
    },
    send,
    destroy() {
      if (destroyed) return;
      this.disconnect();
      destroyed = true;
      options.environment?.removeEventListener('online', retryNow);
      options.environment?.removeEventListener('visibilitychange', onVisibility);
      emitter.clear();
    },
  };
}
