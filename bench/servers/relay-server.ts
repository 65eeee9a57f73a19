// The physical limit: a ws server that forwards every message, bytes unchanged and without Yjs, to
// every other socket on the same URL path. With `--greeting <file>` it also sends that file's bytes
// to each new socket (the raw limit of a join: shipping a document of that size).
//
// With `--log-dir <dir>` it is the limit of a *durable* relay as well: after forwarding, it appends
// each message to its path's log file (`[u32 length][bytes]`, written at once) and fdatasyncs that
// file. At most one fdatasync runs per file; messages written while it runs share the next one. No
// commit window, no Yjs, no acks: what fsyncing everything it relays costs a server when updates
// arrive apart. (When several arrive in one turn, one write(2) for all of them, as Weft does, is less.)
import { createHash } from 'node:crypto';
import { fdatasync, openSync, readFileSync, writevSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { type WebSocket, WebSocketServer } from 'ws';

const { values } = parseArgs({ options: { greeting: { type: 'string' }, 'log-dir': { type: 'string' } } });
const greeting = values.greeting === undefined ? undefined : readFileSync(values.greeting);
const logDir = values['log-dir'];

interface Room {
  peers: Set<WebSocket>;
  log?: Log;
}

/** One path's append-only file and its group commit. */
interface Log {
  fd: number;
  syncing: boolean;
  /** Bytes written since the running fdatasync started. */
  dirty: boolean;
}

function openLog(directory: string, path: string): Log {
  const name = createHash('sha256').update(path).digest('hex');
  return { fd: openSync(join(directory, `${name}.log`), 'a'), syncing: false, dirty: false };
}

function sync(log: Log): void {
  log.syncing = true;
  log.dirty = false;
  fdatasync(log.fd, (error) => {
    if (error) throw error;
    log.syncing = false;
    if (log.dirty) sync(log);
  });
}

function append(log: Log, data: Buffer): void {
  const length = Buffer.allocUnsafe(4);
  length.writeUInt32LE(data.length);
  writevSync(log.fd, [length, data]);
  log.dirty = true;
  if (!log.syncing) sync(log);
}

const rooms = new Map<string, Room>();
const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });

wss.on('connection', (socket, request) => {
  const path = request.url ?? '/';
  let room = rooms.get(path);
  if (room === undefined) {
    room = { peers: new Set(), log: logDir === undefined ? undefined : openLog(logDir, path) };
    rooms.set(path, room);
  }
  const { peers, log } = room;
  peers.add(socket);
  if (greeting) socket.send(greeting);
  socket.on('message', (data: Buffer, isBinary) => {
    for (const peer of peers) if (peer !== socket) peer.send(data, { binary: isBinary });
    if (log) append(log, data);
  });
  socket.on('close', () => {
    peers.delete(socket);
    // The file stays open: a room that empties and refills keeps appending to it.
    if (peers.size === 0 && !log) rooms.delete(path);
  });
});
wss.on('listening', () => {
  const { port } = wss.address() as AddressInfo;
  console.log(JSON.stringify({ msg: 'relay listening', url: `http://127.0.0.1:${port}` }));
});
process.on('SIGTERM', () => {
  for (const socket of wss.clients) socket.terminate();
  wss.close(() => process.exit(0));
});
