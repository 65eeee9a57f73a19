import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createServer, type WeftServer } from './server.ts';
import { resolveStaticPath } from './static-files.ts';
import { createMemoryStorage } from './storage/memory-storage.ts';

let parent: string;
let root: string;
let server: WeftServer;

beforeAll(async () => {
  parent = await mkdtemp(join(tmpdir(), 'weft-static-'));
  root = join(parent, 'dist');
  await mkdir(join(root, 'assets'), { recursive: true });
  await writeFile(join(root, 'index.html'), '<!doctype html><title>app</title>');
  await writeFile(join(root, 'service-worker.js'), 'self.addEventListener("fetch", () => {})');
  await writeFile(join(root, 'assets', 'main-Bx3k9QzA.js'), 'console.log(1)');
  await writeFile(join(parent, 'secret.txt'), 'do not serve');
  server = await createServer({ host: '127.0.0.1', port: 0, storage: createMemoryStorage(), staticDir: root });
});

afterAll(async () => {
  await server.close();
  await rm(parent, { recursive: true, force: true });
});

/** Raw request, so paths reach the server exactly as written (fetch would normalise `..`). */
function get(path: string, method = 'GET') {
  return new Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }>(
    (resolve, reject) => {
      const req = httpRequest({ host: '127.0.0.1', port: server.port, path, method }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          body += chunk;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      });
      req.on('error', reject);
      req.end();
    },
  );
}

describe('static files', () => {
  test('serves index.html at / and for app routes, revalidated every time', async () => {
    for (const path of ['/', '/?room=team', '/board/some-room', '/index.html']) {
      const response = await get(path);
      expect(response.status, path).toBe(200);
      expect(response.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(response.headers['cache-control']).toBe('no-cache');
      expect(response.body).toContain('<title>app</title>');
    }
  });

  test('hashed assets are immutable, the service worker is not', async () => {
    const asset = await get('/assets/main-Bx3k9QzA.js');
    expect(asset.status).toBe(200);
    expect(asset.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(asset.headers['cache-control']).toContain('immutable');
    const worker = await get('/service-worker.js');
    expect(worker.headers['cache-control']).toBe('no-cache');
  });

  test('a missing file is 404, not index.html', async () => {
    expect((await get('/assets/missing-AAAAAAAA.js')).status).toBe(404);
  });

  test('HEAD has headers and no body; POST is not served', async () => {
    const head = await get('/', 'HEAD');
    expect(head.status).toBe(200);
    expect(head.body).toBe('');
    expect((await get('/', 'POST')).status).toBe(404);
  });

  test('never serves a file outside the directory', async () => {
    for (const path of [
      '/../secret.txt',
      '/assets/../../secret.txt',
      '/%2e%2e/secret.txt',
      '/a%00b',
      '/..%5csecret.txt',
    ]) {
      const response = await get(path);
      expect(response.body, path).not.toContain('do not serve');
      expect(response.status, path).toBe(400);
    }
    expect(resolveStaticPath(root, '/%E0%A4%A')).toBeUndefined();
  });

  test('health and status stay available', async () => {
    expect((await get('/healthz')).status).toBe(200);
    const status = await get('/status');
    expect(status.body).toContain('Weft server is running');
  });
});
