import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import type { Logger } from './logger.ts';
import { createServer, serverDefaults } from './server.ts';

const HELP = `weft-server — a durable Yjs sync server (y-websocket compatible)

Usage: weft-server [options]

Options:
  --port <n>        port to listen on            (env PORT, default ${serverDefaults.port})
  --host <addr>     interface to listen on       (env HOST, default: all interfaces)
  --data-dir <dir>  where documents are stored   (env WEFT_DATA_DIR, default ${serverDefaults.dataDir})
  --static <dir>    serve a built web app at /   (env WEFT_STATIC_DIR; status page moves to /status)
  -h, --help        show this help

Clients connect to ws://<host>:<port>/<document-name>.
SIGTERM or SIGINT flushes every document to disk and exits 0.
`;

function pinoLogger(): Logger {
  const base = pino({ level: process.env.LOG_LEVEL ?? 'info' });
  return {
    debug: (message, fields) => base.debug(fields ?? {}, message),
    info: (message, fields) => base.info(fields ?? {}, message),
    warn: (message, fields) => base.warn(fields ?? {}, message),
    error: (message, fields) => base.error(fields ?? {}, message),
  };
}

function parsePort(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`invalid port "${value}"`);
  return port;
}

async function main(): Promise<void> {
  // `pnpm start -- --port 1` forwards the `--` itself (after the script's own flags, such as
  // `--static`); drop it so both spellings work.
  const args = process.argv.slice(2);
  const separator = args.indexOf('--');
  if (separator >= 0) args.splice(separator, 1);
  const { values } = parseArgs({
    args,
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      'data-dir': { type: 'string' },
      static: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(HELP);
    return;
  }
  const logger = pinoLogger();
  const port = parsePort(values.port ?? process.env.PORT ?? String(serverDefaults.port));
  const host = values.host ?? process.env.HOST;
  const dataDir = values['data-dir'] ?? process.env.WEFT_DATA_DIR ?? serverDefaults.dataDir;
  const staticDir = values.static ?? process.env.WEFT_STATIC_DIR;
  if (staticDir !== undefined && !existsSync(join(staticDir, 'index.html'))) {
    logger.warn('static directory has no index.html (build the app first)', { staticDir });
  }
  const server = await createServer({ port, host, dataDir, logger, staticDir });
  const shownHost = host === undefined ? 'localhost' : host.includes(':') ? `[${host}]` : host;
  logger.info('weft-server listening', { url: `http://${shownHost}:${server.port}`, dataDir, staticDir });

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) {
      logger.warn('second signal, exiting without waiting', { signal });
      process.exit(1);
    }
    stopping = true;
    logger.info('shutting down: flushing documents', { signal });
    server.close().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error('shutdown failed', { error: String(error) });
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main().catch((error: unknown) => {
  process.stderr.write(`weft-server: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
