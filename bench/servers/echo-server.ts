// The raw network limit: a WebSocket server that echoes every message back to its sender, and nothing else.
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';

const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });
wss.on('connection', (socket) => {
  socket.on('message', (data, isBinary) => socket.send(data, { binary: isBinary }));
});
wss.on('listening', () => {
  const { port } = wss.address() as AddressInfo;
  console.log(JSON.stringify({ msg: 'echo server listening', url: `http://127.0.0.1:${port}` }));
});
process.on('SIGTERM', () => {
  for (const socket of wss.clients) socket.terminate();
  wss.close(() => process.exit(0));
});
