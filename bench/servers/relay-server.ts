// The physical limit: a ws server that forwards every message, bytes unchanged and without Yjs, to
// every other socket on the same URL path. With `--greeting <file>` it also sends that file's bytes
// to each new socket (the raw limit of a join: shipping a document of that size).
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import { type WebSocket, WebSocketServer } from 'ws';

const { values } = parseArgs({ options: { greeting: { type: 'string' } } });
const greeting = values.greeting === undefined ? undefined : readFileSync(values.greeting);
const rooms = new Map<string, Set<WebSocket>>();
const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });

wss.on('connection', (socket, request) => {
  const path = request.url ?? '/';
  let room = rooms.get(path);
  if (room === undefined) {
    room = new Set();
    rooms.set(path, room);
  }
  const peers = room;
  peers.add(socket);
  if (greeting) socket.send(greeting);
  socket.on('message', (data: Buffer, isBinary) => {
    for (const peer of peers) if (peer !== socket) peer.send(data, { binary: isBinary });
  });
  socket.on('close', () => {
    peers.delete(socket);
    if (peers.size === 0) rooms.delete(path);
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
