// Weft as a benchmark target, started like the CLI but without its logger (the peers log nothing
// either): `--data-dir <dir>` for the default durable FileStorage, no flag for MemoryStorage.
// The per-connection rate limit is off: the peers have none, and the ramp, durable-ack and trace
// replay scenarios deliberately send faster than an honest editor (they would be closed with 1008).
import { parseArgs } from 'node:util';
import {
  createMemoryStorage,
  createServer,
  helperThreadNiceDefault,
  libuvThreadPoolSize,
  lowerHelperThreadPriority,
} from '@weft/server';

const { values } = parseArgs({ options: { 'data-dir': { type: 'string' }, 'helper-nice': { type: 'string' } } });
const dataDir = values['data-dir'];
// As the CLI does: V8's helper threads yield the CPU to the main thread and the fsync pool.
const helperNice = Number(values['helper-nice'] ?? helperThreadNiceDefault);
if (helperNice > 0) await lowerHelperThreadPriority(helperNice, libuvThreadPoolSize(process.env.UV_THREADPOOL_SIZE));
const server = await createServer({
  host: '127.0.0.1',
  port: 0,
  rateLimit: false,
  ...(dataDir === undefined ? { storage: createMemoryStorage() } : { dataDir }),
});
console.log(JSON.stringify({ msg: 'weft-server listening', url: `http://127.0.0.1:${server.port}` }));
process.on('SIGTERM', () => {
  server.close().then(
    () => process.exit(0),
    () => process.exit(1),
  );
});
