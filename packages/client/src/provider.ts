import {
  CloseCode,
  decodeFrame,
  encodeAwareness,
  encodeQueryAwareness,
  encodeSyncStep1,
  encodeSyncStep2,
  encodeUpdate,
  type Message,
  WeftError,
} from '@weft/protocol';
import { Awareness, applyAwarenessUpdate, encodeAwarenessUpdate, removeAwarenessStates } from 'y-protocols/awareness';
import * as Y from 'yjs';
import { type BackoffOptions, backoffDefaults } from './backoff.ts';
import { browserEnvironment } from './browser-environment.ts';
import { ConnectionError } from './connection-error.ts';
import { resolveTarget, resolveWebSocket, type TokenSource } from './connection-target.ts';
import { type CrossTabChannel, createCrossTabChannel } from './cross-tab.ts';
import { createEmitter, type Emitter } from './emitter.ts';
import { createIndexedDbPersistence, type LocalPersistence } from './persistence.ts';
import { listPeers, type Peer, setLocalUser, type UserInfo } from './presence.ts';
import { createSaveTracker } from './save-tracker.ts';
import { createTransport, type TransportState, type WebSocketConstructor } from './transport.ts';

/** What the UI shows: no connection, opening one, exchanging state, or up to date with the server. */
export type ProviderStatus = 'offline' | 'connecting' | 'syncing' | 'synced';

export interface ProviderOptions {
  /** The server's WebSocket URL, e.g. `wss://sync.example.com` (the document name is appended). */
  url: string;
  /** The document's name (see @weft/protocol's document-name rules). */
  name: string;
  /** The document to sync; a new one when omitted. */
  doc?: Y.Doc;
  /** Credentials for servers with authentication: a string, or a function called before every connect. */
  token?: TokenSource;
  /** Extra query parameters sent with every connect. */
  params?: Record<string, string>;
  /**
   * Keep the document in IndexedDB. Default: on where `indexedDB` exists. Pass `{ indexedDB }` to
   * use another factory (fake-indexeddb in Node), `false` to keep it in memory only.
   */
  persistence?: boolean | { indexedDB?: IDBFactory; databaseName?: string };
  /** An Awareness to use; a new one on `doc` when omitted. */
  awareness?: Awareness;
  /** Sync tabs of one browser through BroadcastChannel. Default: on in browsers, off in Node. */
  crossTab?: boolean;
  /** Connect once loaded. Default true; false starts offline until `connect()`. */
  connect?: boolean;
  /** A WebSocket implementation; default the global one, else the `ws` package (Node). */
  WebSocket?: WebSocketConstructor;
  backoff?: Partial<BackoffOptions>;
  /** Silence after which the connection is probed and then dropped; at least 60 s by default. */
  livenessTimeoutMs?: number;
  /** Random source for backoff jitter (tests pass a seeded one). */
  random?: () => number;
}

export const providerDefaults = {
  livenessTimeoutMs: 60_000,
  backoff: backoffDefaults,
  /** Local records after which the IndexedDB store is folded into one snapshot. */
  compactAfterUpdates: 500,
  /** A state refused as too big (1009) this many times in a row stops reconnecting. */
  maxTooBigCloses: 3,
} as const;

export type ProviderEvents = {
  status: (status: ProviderStatus) => void;
  /** The number of local edits not yet durable on the server changed. */
  unsaved: (count: number) => void;
  /** The document was loaded from IndexedDB (or there is no local persistence). */
  loaded: () => void;
  /** Everyone present changed (joins, leaves, names, colours). */
  peers: (peers: Peer[]) => void;
  /** The server refused or dropped this client for a reason to show (permanent ones stop reconnecting). */
  error: (error: WeftError) => void;
  /** IndexedDB failed (quota, closed, deleted); editing goes on in memory. */
  'persistence-error': (error: WeftError) => void;
  /** A reconnect is scheduled. */
  retry: (retry: { attempt: number; delayMs: number }) => void;
};

/** An open document: synced with the server, kept on the device, shared between tabs. */
export interface Provider extends Pick<Emitter<ProviderEvents>, 'on'> {
  readonly doc: Y.Doc;
  readonly awareness: Awareness;
  readonly name: string;
  readonly status: ProviderStatus;
  /** Local edits not yet durable on the server (including those of earlier page loads). */
  readonly unsavedChanges: number;
  readonly loaded: boolean;
  /** The last error reported by `error`, cleared by a successful sync. */
  readonly lastError: WeftError | undefined;
  /** Goes online (again), also after a permanent error or `disconnect()`. */
  connect(): void;
  /** Goes offline on purpose ("work offline"); edits continue locally. */
  disconnect(): void;
  whenLoaded(): Promise<void>;
  /** Resolves when the document is in sync with the server. */
  whenSynced(): Promise<void>;
  /** Resolves when every local edit is durable on the server. */
  whenSaved(): Promise<void>;
  setUser(user: UserInfo): void;
  peers(): Peer[];
  /** Tells peers this client left, closes the connection and the local database. */
  destroy(): Promise<void>;
}

/**
 * Opens a document: loads it from IndexedDB first (instant, and offline), then connects to a Weft
 * server and keeps it in sync; `unsavedChanges` counts edits until the server has them on disk.
 *
 * @example
 * const provider = createProvider({ url: 'ws://localhost:1234', name: 'my-board' })
 * provider.on('status', (status) => badge.textContent = status)
 * provider.doc.getText('notes').insert(0, 'hello')
 * await provider.whenSaved() // durable on the server
 */
export function createProvider(options: ProviderOptions): Provider {
  const doc = options.doc ?? new Y.Doc();
  const awareness = options.awareness ?? new Awareness(doc);
  const emitter = createEmitter<ProviderEvents>();
  const tracker = createSaveTracker();
  const environment = browserEnvironment();
  // Origins tag every change by where it came from, so nothing is echoed back to its source.
  const fromServer = { source: 'weft-server' };
  const fromOtherTab = { source: 'weft-cross-tab' };
  const fromLocalStore = { source: 'weft-indexeddb' };
  let persistence: LocalPersistence | undefined;
  let loaded = false;
  let synced = false;
  /** The sequence number of this connection's SyncStep2, once sent; local edits go out after it. */
  let handshakeSeq: number | undefined;
  let syncedSinceLast401 = false;
  let wantsConnection = options.connect ?? true;
  let destroyed = false;
  let lastError: WeftError | undefined;
  let serverError: { code: number; reason: string } | undefined;
  let status: ProviderStatus = 'offline';

  const transport = createTransport({
    backoff: { ...providerDefaults.backoff, ...options.backoff },
    livenessTimeoutMs: options.livenessTimeoutMs ?? providerDefaults.livenessTimeoutMs,
    maxTooBigCloses: providerDefaults.maxTooBigCloses,
    random: options.random ?? Math.random,
    ...(environment && { environment }),
    // The server answers a query-awareness with every state, ours included; a state vector gets a
    // (small) SyncStep2 even when nobody is present.
    probe: () =>
      awareness.getLocalState() === null ? encodeSyncStep1(Y.encodeStateVector(doc)) : encodeQueryAwareness(),
    // A token that expired mid-session (4401) is worth one more try with a fresh one; a fresh token
    // that is refused again means the credentials themselves are wrong.
    retryPermanent: (code) =>
      code === CloseCode.unauthenticated && typeof options.token === 'function' && syncedSinceLast401,
    resolveTarget: () => resolveTarget(options),
    resolveWebSocket: () => resolveWebSocket(options.WebSocket),
  });

  const updateStatus = () => {
    const state: TransportState = transport.state;
    const next: ProviderStatus =
      state === 'connecting' ? 'connecting' : state === 'open' ? (synced ? 'synced' : 'syncing') : 'offline';
    if (next === status) return;
    status = next;
    emitter.emit('status', next);
  };

  const unsavedChanged = () => {
    emitter.emit('unsaved', tracker.unsaved);
  };

  const reportError = (error: WeftError) => {
    lastError = error;
    emitter.emit('error', error);
  };

  const crossTab: CrossTabChannel | undefined =
    (options.crossTab ?? environment !== undefined)
      ? createCrossTabChannel(`weft:${options.url}:${options.name}`, (frame) => handleTabFrame(frame))
      : undefined;

  /** Returns the message's sequence number if it carries an update. */
  const sendToServer = (frame: Uint8Array, carriesUpdate: boolean): number | undefined => {
    if (transport.state !== 'open') return undefined;
    const seq = carriesUpdate ? tracker.sent() : undefined;
    transport.send(frame);
    return seq;
  };

  const applyUpdate = (update: Uint8Array, origin: object) => Y.applyUpdate(doc, update, origin);

  const handleServerMessage = (message: Message) => {
    switch (message.kind) {
      case 'sync-step-1':
        // Everything the server lacks, offline edits of earlier page loads included.
        handshakeSeq ??= sendToServer(encodeSyncStep2(Y.encodeStateAsUpdate(doc, message.stateVector)), true);
        return;
      case 'sync-step-2':
        applyUpdate(message.update, fromServer);
        if (!synced) {
          synced = true;
          syncedSinceLast401 = true;
          lastError = undefined;
          updateStatus();
        }
        return;
      case 'update':
        applyUpdate(message.update, fromServer);
        return;
      case 'awareness':
        applyAwarenessUpdate(awareness, message.update, fromServer);
        return;
      case 'query-awareness':
        if (awareness.getLocalState() !== null)
          sendToServer(encodeAwareness(encodeAwarenessUpdate(awareness, [doc.clientID])), false);
        return;
      case 'durable-ack':
        if (tracker.acked(message.seq)) {
          persistence?.setUnsaved(tracker.unsaved);
          unsavedChanged();
        }
        return;
      case 'permission-denied':
        reportError(new WeftError('permission-denied', message.reason || 'the server refused a change'));
        return;
      case 'error':
        serverError = { code: message.code, reason: message.reason };
        return;
    }
  };

  const handleServerFrame = (frame: Uint8Array) => {
    try {
      for (const message of decodeFrame(frame)) handleServerMessage(message);
    } catch (error) {
      reportError(
        new WeftError('malformed-message', `bad message from the server: ${(error as Error).message}`, {
          cause: error,
        }),
      );
      transport.disconnect();
      transport.connect();
    }
  };

  const handleTabFrame = (frame: Uint8Array) => {
    try {
      for (const message of decodeFrame(frame)) {
        if (message.kind === 'sync-step-1')
          crossTab?.post(encodeSyncStep2(Y.encodeStateAsUpdate(doc, message.stateVector)));
        else if (message.kind === 'sync-step-2' || message.kind === 'update') applyUpdate(message.update, fromOtherTab);
        else if (message.kind === 'awareness') applyAwarenessUpdate(awareness, message.update, fromOtherTab);
        else if (message.kind === 'query-awareness' && awareness.getLocalState() !== null)
          crossTab?.post(encodeAwareness(encodeAwarenessUpdate(awareness, [doc.clientID])));
      }
    } catch {
      // Another tab of this origin sent something unreadable (an older version?): ignore it.
    }
  };

  const onDocUpdate = (update: Uint8Array, origin: unknown) => {
    if (origin === fromLocalStore) return;
    const local = origin !== fromServer && origin !== fromOtherTab;
    if (local) {
      tracker.edit();
      unsavedChanged();
    }
    // The tab an edit came from stores and sends it; the others only apply it.
    if (origin !== fromOtherTab) {
      persistence?.append(update, local ? tracker.unsaved : undefined);
      crossTab?.post(encodeUpdate(update));
      if (persistence && persistence.appendsSinceCompaction >= providerDefaults.compactAfterUpdates) {
        void persistence.compact(doc, fromLocalStore);
      }
    }
    // Before this connection's handshake the edit travels in it, with the offline ones: an update
    // sent ahead of it would be acked first and vouch for edits that are not on the server yet.
    if (local && handshakeSeq !== undefined) sendToServer(encodeUpdate(update), true);
  };

  const onAwarenessUpdate = (change: { added: number[]; updated: number[]; removed: number[] }, origin: unknown) => {
    if (origin === fromServer || origin === fromOtherTab) return;
    const changed = [...change.added, ...change.updated, ...change.removed];
    const frame = encodeAwareness(encodeAwarenessUpdate(awareness, changed));
    sendToServer(frame, false);
    crossTab?.post(frame);
  };
  const onAwarenessChange = () => emitter.emit('peers', listPeers(awareness));
  const onPageHide = () => removeAwarenessStates(awareness, [doc.clientID], 'page hidden');

  transport.on('state', updateStatus);
  transport.on('retry', (retry) => emitter.emit('retry', retry));
  transport.on('open', () => {
    sendToServer(encodeSyncStep1(Y.encodeStateVector(doc)), false);
    if (awareness.getLocalState() !== null) {
      sendToServer(encodeAwareness(encodeAwarenessUpdate(awareness, [doc.clientID])), false);
    }
  });
  transport.on('frame', handleServerFrame);
  transport.on('close', ({ code, reason, permanent }) => {
    synced = false;
    handshakeSeq = undefined;
    if (code === CloseCode.unauthenticated) syncedSinceLast401 = false;
    tracker.reset();
    const others = [...awareness.getStates().keys()].filter((id) => id !== doc.clientID);
    removeAwarenessStates(awareness, others, fromServer);
    const detail = serverError?.code === code ? serverError.reason : reason;
    serverError = undefined;
    if (permanent && wantsConnection && code !== 1000) reportError(new ConnectionError(code, detail, true));
    updateStatus();
  });

  doc.on('update', onDocUpdate);
  awareness.on('update', onAwarenessUpdate);
  awareness.on('change', onAwarenessChange);
  environment?.addEventListener('pagehide', onPageHide);

  const usePersistence = options.persistence ?? true;
  const indexedDB =
    typeof usePersistence === 'object' && usePersistence.indexedDB ? usePersistence.indexedDB : globalThis.indexedDB;
  const databaseName = (typeof usePersistence === 'object' && usePersistence.databaseName) || `weft:${options.name}`;

  const load = async () => {
    if (usePersistence !== false && indexedDB !== undefined) {
      try {
        persistence = await createIndexedDbPersistence({
          indexedDB,
          databaseName,
          onError: (error) => emitter.emit('persistence-error', error),
        });
        if (destroyed) {
          persistence.close();
          return;
        }
        const { unsaved } = await persistence.load(doc, fromLocalStore);
        tracker.restore(unsaved);
      } catch (error) {
        persistence = undefined;
        emitter.emit(
          'persistence-error',
          error instanceof WeftError ? error : new WeftError('persistence-failed', String(error), { cause: error }),
        );
      }
    }
    if (destroyed) return;
    loaded = true;
    emitter.emit('loaded');
    if (tracker.unsaved > 0) unsavedChanged();
    crossTab?.post(encodeSyncStep1(Y.encodeStateVector(doc)));
    crossTab?.post(encodeQueryAwareness());
    if (wantsConnection) transport.connect();
  };
  const loading = load();

  // Promises waiting for a condition; each is checked on every state change, and rejected on destroy.
  const waiters = new Set<{ ready: () => boolean; resolve: () => void; reject: (error: WeftError) => void }>();
  const settleWaiters = () => {
    for (const waiter of waiters) {
      if (destroyed) waiter.reject(new WeftError('connection-closed', 'the provider was destroyed'));
      else if (waiter.ready()) waiter.resolve();
      else continue;
      waiters.delete(waiter);
    }
  };
  emitter.on('status', settleWaiters);
  emitter.on('unsaved', settleWaiters);
  const waitFor = (ready: () => boolean) =>
    new Promise<void>((resolve, reject) => {
      waiters.add({ ready, resolve, reject });
      settleWaiters();
    });

  return {
    doc,
    awareness,
    name: options.name,
    on: emitter.on,
    get status() {
      return status;
    },
    get unsavedChanges() {
      return tracker.unsaved;
    },
    get loaded() {
      return loaded;
    },
    get lastError() {
      return lastError;
    },
    connect() {
      if (destroyed) return;
      wantsConnection = true;
      if (loaded) transport.connect();
    },
    disconnect() {
      wantsConnection = false;
      transport.disconnect();
    },
    whenLoaded: () => loading,
    whenSynced: () => waitFor(() => status === 'synced'),
    whenSaved: () => waitFor(() => tracker.unsaved === 0),
    setUser: (user) => setLocalUser(awareness, user),
    peers: () => listPeers(awareness),
    async destroy() {
      if (destroyed) return;
      removeAwarenessStates(awareness, [doc.clientID], 'destroy');
      destroyed = true;
      wantsConnection = false;
      await loading;
      transport.destroy();
      crossTab?.close();
      persistence?.close();
      doc.off('update', onDocUpdate);
      awareness.off('update', onAwarenessUpdate);
      awareness.off('change', onAwarenessChange);
      environment?.removeEventListener('pagehide', onPageHide);
      if (!options.awareness) awareness.destroy();
      status = 'offline';
      emitter.emit('status', status);
      settleWaiters();
      emitter.clear();
    },
  };
}
