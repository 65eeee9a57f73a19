// The Weft server on MemoryStorage, started like the CLI, for the "no fsync" row of the latency bench.
import { createMemoryStorage, createServer } from '@weft/server';

const server = await createServer({ host: '127.0.0.1', port: 0, storage: createMemoryStorage() });
console.log(JSON.stringify({ msg: 'weft-server listening', url: `http://127.0.0.1:${server.port}` }));
process.on('SIGTERM', () => {
  server.close().then(
    () => process.exit(0),
    () => process.exit(1),
  );
});
