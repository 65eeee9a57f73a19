// Peer: @hocuspocus/server 4 (its crossws Node adapter on a plain http.Server), in memory, no extensions.
import { Server } from '@hocuspocus/server';

const server = new Server({
  port: 0,
  address: '127.0.0.1',
  quiet: true,
  stopOnSignals: false,
  websocketOptions: { perMessageDeflate: false },
});
await server.listen();
console.log(JSON.stringify({ msg: 'hocuspocus listening', url: `http://127.0.0.1:${server.address.port}` }));
process.on('SIGTERM', () => {
  server.destroy().then(
    () => process.exit(0),
    () => process.exit(1),
  );
});
