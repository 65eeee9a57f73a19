import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, resolve, sep } from 'node:path';
import type { Logger } from './logger.ts';

/** Content types of the files a built web app is made of; anything else is served as bytes. */
export const staticMimeTypes: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.webmanifest': 'application/manifest+json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.wasm': 'application/wasm',
};

/** Serves the files of one directory over HTTP (GET/HEAD), for a built single-page app. */
export interface StaticFiles {
  /** Answers `request` if it names a file (or an app route); resolves false when it did not. */
  handle(request: IncomingMessage, response: ServerResponse): Promise<boolean>;
}

export interface StaticFilesOptions {
  /** The directory to serve, e.g. `packages/demo/dist`. */
  directory: string;
  logger: Logger;
}

// Bundlers put a content hash in these names, so they can be cached forever.
const HASHED_ASSET = /^\/assets\/.+[-.][A-Za-z0-9_-]{8,}\.[a-z0-9]+$/;
// Entry points whose URL never changes must be revalidated, or users keep an old app.
const ENTRY_POINTS = new Set(['/index.html', '/service-worker.js', '/sw.js', '/manifest.webmanifest']);

function cacheControl(urlPath: string): string {
  if (ENTRY_POINTS.has(urlPath)) return 'no-cache';
  if (HASHED_ASSET.test(urlPath)) return 'public, max-age=31536000, immutable';
  return 'no-cache';
}

/**
 * Decodes the URL path and maps it into `root`, or returns undefined for anything that could step
 * outside it (`..`, NUL, backslashes, bad percent-encoding).
 */
export function resolveStaticPath(root: string, rawPath: string): string | undefined {
  let urlPath: string;
  try {
    urlPath = decodeURIComponent(rawPath);
  } catch {
    return undefined;
  }
  if (!urlPath.startsWith('/') || urlPath.includes('\0') || urlPath.includes('\\')) return undefined;
  if (urlPath.split('/').some((segment) => segment === '..')) return undefined;
  const file = resolve(root, `.${urlPath}`);
  // Belt and braces: whatever the checks above missed, the result must stay inside the root.
  if (file !== root && !file.startsWith(root + sep)) return undefined;
  return file;
}

/** Does this path look like an app route (`/`, `/board/x`) rather than a missing file (`/x.js`)? */
const isAppRoute = (urlPath: string) => extname(urlPath) === '' || urlPath.endsWith('.html');

/**
 * Creates a static file handler for `directory`. Unknown paths without a file extension get
 * `index.html`, so client-side routes and `/?room=x` work; missing files stay 404.
 *
 * @example
 * const files = createStaticFiles({ directory: 'packages/demo/dist', logger })
 * if (await files.handle(request, response)) return
 */
export function createStaticFiles(options: StaticFilesOptions): StaticFiles {
  const root = resolve(options.directory);

  const send = async (request: IncomingMessage, response: ServerResponse, file: string, urlPath: string) => {
    const info = await stat(file).catch(() => undefined);
    if (!info?.isFile()) return false;
    response.writeHead(200, {
      'content-type': staticMimeTypes[extname(file).toLowerCase()] ?? 'application/octet-stream',
      'content-length': info.size,
      'cache-control': cacheControl(urlPath),
      'x-content-type-options': 'nosniff',
      'last-modified': info.mtime.toUTCString(),
    });
    if (request.method === 'HEAD') {
      response.end();
      return true;
    }
    await new Promise<void>((done) => {
      const stream = createReadStream(file);
      stream.on('error', (error) => {
        options.logger.warn('static file read failed', { file, error: String(error) });
        response.destroy(error);
        done();
      });
      stream.on('end', done);
      stream.pipe(response);
    });
    return true;
  };

  return {
    async handle(request, response) {
      if (request.method !== 'GET' && request.method !== 'HEAD') return false;
      const rawPath = (request.url ?? '/').split('?', 1)[0] ?? '/';
      const file = resolveStaticPath(root, rawPath);
      if (file === undefined) {
        response.writeHead(400, { 'content-type': 'text/plain; charset=utf-8' });
        response.end('bad path\n');
        return true;
      }
      const urlPath = rawPath.endsWith('/') ? `${rawPath}index.html` : rawPath;
      if (await send(request, response, rawPath.endsWith('/') ? resolve(file, 'index.html') : file, urlPath)) {
        return true;
      }
      if (!isAppRoute(rawPath)) return false;
      return send(request, response, resolve(root, 'index.html'), '/index.html');
    },
  };
}
