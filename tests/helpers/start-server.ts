import { createServer, type ServerOptions, type WeftServer } from '@weft/server';
import { createTempDir } from './temp-dir.ts';

export interface TestServer {
  server: WeftServer;
  /** ws://127.0.0.1:<port> */
  url: string;
  dataDir: string;
  /** Closes the server (flushing) and keeps the data dir, so a restart can read it. */
  stop(): Promise<void>;
  /** Stops and deletes the data dir. */
  dispose(): Promise<void>;
}

/** A real server on 127.0.0.1, port 0, with a fresh temp data dir unless one is given. */
export async function startTestServer(options: ServerOptions & { dataDir?: string } = {}): Promise<TestServer> {
  const temp = options.dataDir === undefined ? await createTempDir() : undefined;
  const dataDir = options.dataDir ?? (temp as { path: string }).path;
  const server = await createServer({ host: '127.0.0.1', port: 0, ...options, dataDir });
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await server.close();
  };
  return {
    server,
    url: `ws://127.0.0.1:${server.port}`,
    dataDir,
    stop,
    async dispose() {
      await stop();
      await temp?.remove();
    },
  };
}
