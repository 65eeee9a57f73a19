import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import {
  CloseCode,
  docNameFromPath,
  type ExtensionName,
  extensionsFromUrl,
  isWeftError,
  WEFT_SUBPROTOCOL,
} from '@weft/protocol';
import { type WebSocket, WebSocketServer } from 'ws';
import { createAdmissionControl, isRefusal } from './admission.ts';
import type { AuthGrant, AuthOptions } from './auth.ts';
import { type AwarenessLimits, awarenessLimitDefaults } from './awareness-guard.ts';
import { type Connection, createConnection } from './connection.ts';
import { type CompactionOptions, compactionDefaults } from './doc-persistence.ts';
import { type Logger, silentLogger } from './logger.ts';
import { type RateLimitOptions, rateLimitDefaults } from './rate-limit.ts';
import type { Room } from './room.ts';
import { createRoomRegistry } from './room-registry.ts';
import { createStaticFiles } from './static-files.ts';
import { renderStatusPage, type ServerStats } from './status-page.ts';
import type { DocStorage } from './storage/doc-storage.ts';
import { createFileStorage } from './storage/file-storage.ts';
import { refuseUpgrade } from './upgrade-refusal.ts';

/** Options of {@link createServer}. Every field is optional. */
export interface ServerOptions {
  /** Attach to this HTTP server instead of creating one (its owner calls `listen`). */
  server?: Server;
  /** Port to listen on when the server is standalone; 0 picks a free one. */
  port?: number;
  /** Interface to listen on when standalone; all interfaces when omitted. */
  host?: string;
  /** Storage adapter. Defaults to a FileStorage in `dataDir`. */
  storage?: DocStorage;
  /** Data directory of the default FileStorage. */
  dataDir?: string;
  /** URL path under which documents live: `<basePath><doc name>`. */
  basePath?: string;
  logger?: Logger;
  /** How long a document with no connections stays loaded before its final flush and unload. */
  idleUnloadMs?: number;
  /** Interval of WebSocket pings; a connection that misses one whole interval is terminated. */
  pingIntervalMs?: number;
  /** Largest accepted message in bytes; bigger ones close the connection with 1009. */
  maxPayload?: number;
  /** When the persistence layer folds the log into a snapshot. */
  compaction?: Partial<CompactionOptions>;
  /** Capability tokens (`secret`, `publicKey`) or a custom `authenticate` hook. Omitted: open to all. */
  auth?: AuthOptions;
  /** How long authenticating an upgrade may take before it is refused with 503. */
  authTimeoutMs?: number;
  /** Browser origins allowed to connect (exact `Origin` values); requests without `Origin` pass. */
  allowedOrigins?: readonly string[];
  /** Document names must also match this pattern, on top of the built-in name rules. */
  docNamePattern?: RegExp;
  /** Per-connection token buckets; a connection over either closes with 1008. `false` turns it off. */
  rateLimit?: Partial<RateLimitOptions> | false;
  /** A connection that leaves more than this many bytes unread is terminated. */
  maxBufferedBytes?: number;
  /** Most documents loaded at once; the least recently used idle one unloads (after a flush) for a new one. */
  maxLoadedDocuments?: number;
  /** Largest document (snapshot plus log since, in bytes); an update past it closes with 4413. */
  maxDocumentBytes?: number;
  /** Most bytes of updates waiting for missing dependencies, per document; past it 4413. */
  maxPendingBytes?: number;
  /** Awareness state size and client IDs per connection. */
  awareness?: Partial<AwarenessLimits>;
  /**
   * Serve this directory (a built web app, e.g. `packages/demo/dist`) over HTTP at `/`; unknown
   * extension-less paths get its `index.html`. The status page then moves to `/status`.
   */
  staticDir?: string;
}

export const serverDefaults = {
  port: 1234,
  dataDir: './data',
  basePath: '/',
  idleUnloadMs: 10_000,
  pingIntervalMs: 30_000,
  maxPayload: 8 * 1024 * 1024,
  authTimeoutMs: 10_000,
  rateLimit: rateLimitDefaults,
  maxBufferedBytes: 64 * 1024 * 1024,
  maxLoadedDocuments: 1000,
  maxDocumentBytes: 64 * 1024 * 1024,
  maxPendingBytes: 4 * 1024 * 1024,
  awareness: awarenessLimitDefaults,
} as const;

/** A running Weft server. */
export interface WeftServer {
  /** The HTTP server carrying the WebSockets (yours, when attached). */
  readonly httpServer: Server;
  /** The port actually listened on (useful with `port: 0`). */
  readonly port: number;
  readonly storage: DocStorage;
  stats(): ServerStats;
  /**
   * Serves `/healthz`, the status page at `/` (`/status` with `staticDir`) and the static files.
   * Standalone servers call it for every request; when attached, call it from your own handler if
   * you want them. Returns false if not handled.
   */
  handleRequest(request: IncomingMessage, response: ServerResponse): boolean;
  /** Closes every connection, flushes and unloads every document, releases storage. */
  close(): Promise<void>;
}

/**
 * Starts a Weft server: standalone on `port`, or attached to an existing `http.Server`.
 *
 * @example
 * // standalone
 * const server = await createServer({ port: 1234, dataDir: './data' })
 *
 * @example
 * // attached to an Express app
 * const httpServer = app.listen(3000)
 * const weft = await createServer({ server: httpServer, basePath: '/collab/' })
 */
export async function createServer(options: ServerOptions = {}): Promise<WeftServer> {
  const logger = options.logger ?? silentLogger;
  const basePath = options.basePath ?? serverDefaults.basePath;
  const ownsStorage = options.storage === undefined;
  const storage =
    options.storage ?? (await createFileStorage({ directory: options.dataDir ?? serverDefaults.dataDir, logger }));
  const registry = createRoomRegistry({
    storage,
    logger,
    compaction: { ...compactionDefaults, ...options.compaction },
    idleUnloadMs: options.idleUnloadMs ?? serverDefaults.idleUnloadMs,
    maxLoadedDocuments: options.maxLoadedDocuments ?? serverDefaults.maxLoadedDocuments,
    limits: {
      maxDocumentBytes: options.maxDocumentBytes ?? serverDefaults.maxDocumentBytes,
      maxPendingBytes: options.maxPendingBytes ?? serverDefaults.maxPendingBytes,
      awareness: { ...serverDefaults.awareness, ...options.awareness },
    },
  });
  const maxPayload = options.maxPayload ?? serverDefaults.maxPayload;
  const rateLimit = options.rateLimit === false ? false : { ...serverDefaults.rateLimit, ...options.rateLimit };
  const maxBufferedBytes = options.maxBufferedBytes ?? serverDefaults.maxBufferedBytes;
  const admission = createAdmissionControl({
    auth: options.auth,
    allowedOrigins: options.allowedOrigins,
    docNamePattern: options.docNamePattern,
    authTimeoutMs: options.authTimeoutMs ?? serverDefaults.authTimeoutMs,
    logger,
  });
  if (!admission.authEnabled) {
    logger.warn('authentication is off: every client can read and write every document (set auth to require tokens)');
  }
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload,
    perMessageDeflate: false,
    // Only the non-secret protocol is ever echoed; the token protocol stays in the request.
    handleProtocols: (offered) => (offered.has(WEFT_SUBPROTOCOL) ? WEFT_SUBPROTOCOL : false),
  });
  const connections = new Set<Connection>();
  const startedAt = Date.now();
  let closing: Promise<void> | undefined;

  const stats = (): ServerStats => ({
    rooms: registry.size,
    connections: connections.size,
    uptimeSeconds: Math.round((Date.now() - startedAt) / 1000),
  });

  const onConnection = (
    socket: WebSocket,
    stream: Duplex,
    docName: string,
    extensions: Set<ExtensionName>,
    grant: AuthGrant,
  ) => {
    let room: Room<Connection> | undefined;
    let gone = false;
    const connection = createConnection({
      socket,
      stream,
      docName,
      extensions,
      logger,
      maxQueuedBytes: maxPayload,
      access: grant.access,
      expiresAt: grant.expiresAt,
      rateLimit,
      maxPayload,
      maxBufferedBytes,
      onClose: (closed) => {
        gone = true;
        connections.delete(closed);
        if (room) registry.leave(room, closed);
      },
    });
    connections.add(connection);
    registry.join(docName, connection).then(
      (joined) => {
        room = joined;
        if (gone) {
          registry.leave(joined, connection);
          return;
        }
        try {
          connection.attach(joined);
        } catch (error) {
          // Never let one connection's failure become an unhandled rejection (which ends the process).
          logger.error('could not start the session', { doc: docName, error: String(error) });
          connection.close(CloseCode.internalError, 'could not start the session, retry later');
        }
      },
      (error: unknown) => {
        if (isWeftError(error, 'server-closed')) {
          connection.close(CloseCode.goingAway, 'server shutting down');
        } else if (isWeftError(error, 'too-many-documents')) {
          logger.warn('refusing a document: too many loaded', { doc: docName });
          connection.close(CloseCode.tryAgainLater, error.message);
        } else if (isWeftError(error, 'document-corrupt')) {
          logger.error('refusing a quarantined document', { doc: docName, error: error.message });
          connection.close(CloseCode.documentUnavailable, 'document is quarantined: its stored data is damaged');
        } else {
          logger.error('could not load document', { doc: docName, error: String(error) });
          connection.close(CloseCode.internalError, 'could not load the document, retry later');
        }
      },
    );
  };

  // Defined out here: a listener created inside onUpgrade would share its closure context and keep
  // the request, its headers and `head` alive for as long as the socket lives (~1 KiB per connection).
  const onUpgradeSocketError = (error: Error) => logger.debug('socket error during upgrade', { error: String(error) });

  const onUpgrade = (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    const url = request.url ?? '/';
    const refuse = (status: number, reason: string) => refuseUpgrade(wss, { request, socket, head, status, reason });
    if (!url.startsWith(basePath)) {
      // When attached, other upgrade handlers may own this path; standalone, nobody does.
      if (!options.server) refuse(404, `WebSocket paths start with ${basePath}`);
      return;
    }
    if (closing) {
      refuse(503, 'server is shutting down');
      return;
    }
    let docName: string;
    try {
      docName = docNameFromPath(url, basePath);
    } catch (error) {
      const reason = isWeftError(error) ? error.message : 'invalid document name';
      // The path only: the query string may hold a token.
      logger.info('rejected upgrade', { path: url.split('?', 1)[0]?.slice(0, 200), reason });
      refuse(400, reason);
      return;
    }
    socket.on('error', onUpgradeSocketError);
    // Credentials are checked before the upgrade: a refused client gets 401/403 and loads nothing.
    void admission.admit(request, docName).then((admitted) => {
      if (socket.destroyed) return;
      if (closing) {
        refuse(503, 'server is shutting down');
        return;
      }
      if (isRefusal(admitted)) {
        logger.info('refused upgrade', { doc: docName, status: admitted.status, reason: admitted.reason });
        refuse(admitted.status, admitted.reason);
        return;
      }
      wss.handleUpgrade(request, socket, head, (ws) =>
        onConnection(ws, socket, docName, extensionsFromUrl(url), admitted),
      );
    });
  };

  const staticFiles =
    options.staticDir === undefined ? undefined : createStaticFiles({ directory: options.staticDir, logger });
  const statusPath = staticFiles ? '/status' : '/';

  const handleRequest = (request: IncomingMessage, response: ServerResponse): boolean => {
    const path = (request.url ?? '/').split('?', 1)[0];
    if (request.method !== 'GET' && request.method !== 'HEAD') return false;
    if (path === '/healthz') {
      response.writeHead(closing ? 503 : 200, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ ok: !closing, ...stats() }));
      return true;
    }
    if (path === statusPath) {
      const host = request.headers.host ?? `localhost:${port}`;
      response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      response.end(renderStatusPage(stats(), `ws://${host}${basePath}<document-name>`));
      return true;
    }
    if (staticFiles) {
      // Claimed synchronously so the caller does not answer too; the file is sent asynchronously.
      staticFiles.handle(request, response).then(
        (handled) => {
          if (handled) return;
          response.writeHead(404, { 'content-type': 'text/plain' });
          response.end('not found\n');
        },
        (error: unknown) => {
          logger.warn('static file request failed', { error: String(error) });
          if (!response.headersSent) response.writeHead(500, { 'content-type': 'text/plain' });
          response.end();
        },
      );
      return true;
    }
    return false;
  };

  const httpServer =
    options.server ??
    createHttpServer((request, response) => {
      if (handleRequest(request, response)) return;
      response.writeHead(404, { 'content-type': 'text/plain' });
      response.end('not found\n');
    });
  httpServer.on('upgrade', onUpgrade);

  if (!options.server) {
    await new Promise<void>((resolve, reject) => {
      httpServer.once('error', reject);
      httpServer.listen(options.port ?? serverDefaults.port, options.host, () => {
        httpServer.off('error', reject);
        resolve();
      });
    }).catch(async (error: unknown) => {
      if (ownsStorage) await storage.close();
      throw error;
    });
  }
  const port = (httpServer.address() as AddressInfo | null)?.port ?? 0;

  const pinger = setInterval(() => {
    for (const connection of connections) connection.heartbeat();
  }, options.pingIntervalMs ?? serverDefaults.pingIntervalMs);
  pinger.unref();

  const shutdown = async () => {
    clearInterval(pinger);
    httpServer.off('upgrade', onUpgrade);
    for (const connection of connections) connection.close(CloseCode.goingAway, 'server shutting down');
    const stopped = options.server
      ? Promise.resolve()
      : new Promise<void>((resolve) => httpServer.close(() => resolve()));
    if (!options.server) httpServer.closeIdleConnections();
    await registry.closeAll();
    if (ownsStorage) await storage.close();
    // Everything is flushed; sockets that have not finished their close handshake are cut.
    for (const socket of wss.clients) socket.terminate();
    wss.close();
    await stopped;
    logger.info('server closed');
  };

  return {
    httpServer,
    port,
    storage,
    stats,
    handleRequest,
    close() {
      closing ??= shutdown();
      return closing;
    },
  };
}
