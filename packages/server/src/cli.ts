import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { helperThreadNiceDefault, libuvThreadPoolSize, lowerHelperThreadPriority } from './helper-thread-priority.ts';
import type { Logger } from './logger.ts';
import { createServer, serverDefaults } from './server.ts';
import { runTokenCommand } from './token-command.ts';

const HELP = `weft-server — a durable Yjs sync server (y-websocket compatible)

Usage: weft-server [options]
       weft-server token --doc <name> ...   mint a capability token (see weft-server token --help)

Options:
  --port <n>        port to listen on            (env PORT, default ${serverDefaults.port})
  --host <addr>     interface to listen on       (env HOST, default: all interfaces)
  --data-dir <dir>  where documents are stored   (env WEFT_DATA_DIR, default ${serverDefaults.dataDir})
  --static <dir>    serve a built web app at /   (env WEFT_STATIC_DIR; status page moves to /status)
  --auth-secret-file <file>  HS256 secret for capability tokens (env WEFT_AUTH_SECRET holds the secret itself)
  --auth-public-key <file>   PEM public key (Ed25519 or P-256) for tokens (env WEFT_AUTH_PUBLIC_KEY_FILE)
  --allowed-origin <origin>  allow only this browser Origin; repeat for more (env WEFT_ALLOWED_ORIGINS, comma-separated)
  --helper-nice <n> nice value (1-19) for V8's background threads on Linux, 0 to leave them
                    (env WEFT_HELPER_NICE, default ${helperThreadNiceDefault}; see packages/server/README.md)
  -h, --help        show this help

Without a secret or public key the server is open to every client (fine for local use).

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

function parseHelperNice(value: string): number {
  const nice = Number(value);
  if (!Number.isInteger(nice) || nice < 0 || nice > 19) throw new Error(`invalid helper nice value "${value}" (0-19)`);
  return nice;
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
  if (args[0] === 'token') {
    process.stdout.write(await runTokenCommand(args.slice(1), process.env));
    return;
  }
  const { values } = parseArgs({
    args,
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      'data-dir': { type: 'string' },
      static: { type: 'string' },
      'auth-secret-file': { type: 'string' },
      'auth-public-key': { type: 'string' },
      'allowed-origin': { type: 'string', multiple: true },
      'helper-nice': { type: 'string' },
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
  const secretFile = values['auth-secret-file'];
  const secret = secretFile === undefined ? process.env.WEFT_AUTH_SECRET : readFileSync(secretFile, 'utf8').trim();
  const publicKeyFile = values['auth-public-key'] ?? process.env.WEFT_AUTH_PUBLIC_KEY_FILE;
  const publicKey = publicKeyFile === undefined ? undefined : readFileSync(publicKeyFile, 'utf8');
  const origins = values['allowed-origin'] ?? process.env.WEFT_ALLOWED_ORIGINS?.split(',').filter(Boolean);
  const helperNice = parseHelperNice(
    values['helper-nice'] ?? process.env.WEFT_HELPER_NICE ?? `${helperThreadNiceDefault}`,
  );
  const auth = secret || publicKey ? { ...(secret ? { secret } : {}), ...(publicKey ? { publicKey } : {}) } : undefined;
  const server = await createServer({
    port,
    host,
    dataDir,
    logger,
    staticDir,
    auth,
    ...(origins?.length ? { allowedOrigins: origins } : {}),
  });
  if (helperNice > 0) {
    const threads = await lowerHelperThreadPriority(helperNice, libuvThreadPoolSize(process.env.UV_THREADPOOL_SIZE));
    logger.debug('helper thread priority', threads);
  }
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
