import { generateKeyPairSync } from 'node:crypto';
import {
  CloseCode,
  encodeQueryAwareness,
  encodeSyncStep1,
  encodeSyncStep2,
  encodeUpdate,
  READ_ONLY_REASON,
  tokenSubprotocols,
} from '@weft/protocol';
import { type AuthOptions, mintToken } from '@weft/server';
import { SignJWT } from 'jose';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { WebsocketProvider } from 'y-websocket';
import * as Y from 'yjs';
import { encodeAwarenessEntries } from '../fuzz/corpus.ts';
import { connectProtocolClient, type ProtocolClient } from '../helpers/protocol-client.ts';
import { startTestServer, type TestServer } from '../helpers/start-server.ts';
import { waitFor } from '../helpers/wait-for.ts';

const SECRET = 'a test secret that is long enough for HS256 tokens';
const OTHER_SECRET = 'another secret that is long enough for HS256 tokens';

let server: TestServer | undefined;
const cleanups: (() => void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) cleanup();
  await server?.dispose();
  server = undefined;
});

async function start(auth: AuthOptions = { secret: SECRET }, more: Parameters<typeof startTestServer>[0] = {}) {
  server = await startTestServer({ auth, ...more });
  return server;
}

/** Connects; resolves with the client, or with the HTTP status of a refused upgrade. */
async function tryConnect(
  url: string,
  doc: string,
  options: Parameters<typeof connectProtocolClient>[2] = {},
): Promise<ProtocolClient | number> {
  try {
    const client = await connectProtocolClient(url, doc, options);
    cleanups.push(() => client.close());
    await client.synced;
    return client;
  } catch (error) {
    const status = /HTTP (\d+)/.exec(String(error))?.[1];
    if (status === undefined) throw error;
    return Number(status);
  }
}

/** Sends a SyncStep1 and waits for its answer: everything sent before it has been handled. */
async function barrier(client: ProtocolClient): Promise<void> {
  const answered = client.receivedKinds.filter((kind) => kind === 'sync-step-2').length + 1;
  client.sendRaw(encodeSyncStep1(new Uint8Array([0])));
  await waitFor(
    () => client.receivedKinds.filter((kind) => kind === 'sync-step-2').length >= answered,
    'the server to answer the barrier',
  );
}

/** The document's state vector as a writer sees it (server-side truth, read over the wire). */
async function stateVectorOf(url: string, doc: string): Promise<Uint8Array> {
  const token = await mintToken({ secret: SECRET, doc, access: 'read', expiresIn: '1m' });
  const reader = await connectProtocolClient(url, doc, { params: { token } });
  await reader.synced;
  const stateVector = Y.encodeStateVector(reader.doc);
  reader.close();
  return stateVector;
}

function contentUpdate(text: string): Uint8Array {
  const doc = new Y.Doc();
  doc.getText('t').insert(0, text);
  return Y.encodeStateAsUpdate(doc);
}

type Credential = 'no token' | 'bad signature' | 'expired' | 'other document' | 'read' | 'write';
type Action = 'connect' | 'SyncStep2 with content' | 'Update' | 'awareness';

async function tokenFor(credential: Credential, doc: string): Promise<string | undefined> {
  switch (credential) {
    case 'no token':
      return undefined;
    case 'bad signature':
      return mintToken({ secret: OTHER_SECRET, doc, access: 'write', expiresIn: '1m' });
    case 'expired': {
      const now = Math.floor(Date.now() / 1000);
      return new SignJWT({ doc, access: 'write' })
        .setProtectedHeader({ alg: 'HS256' })
        .setIssuedAt(now - 120)
        .setExpirationTime(now - 60)
        .sign(new TextEncoder().encode(SECRET));
    }
    case 'other document':
      return mintToken({ secret: SECRET, doc: `${doc}-other`, access: 'write', expiresIn: '1m' });
    case 'read':
    case 'write':
      return mintToken({ secret: SECRET, doc, access: credential, expiresIn: '1m' });
  }
}

const REFUSED: Partial<Record<Credential, number>> = {
  'no token': 401,
  'bad signature': 401,
  expired: 401,
  'other document': 403,
};
const CREDENTIALS: Credential[] = ['no token', 'bad signature', 'expired', 'other document', 'read', 'write'];
const ACTIONS: Action[] = ['connect', 'SyncStep2 with content', 'Update', 'awareness'];
const MATRIX = CREDENTIALS.flatMap((credential) => ACTIONS.map((action) => [credential, action] as const));

describe('authorization matrix', () => {
  it.each(MATRIX)('%s × %s', async (credential, action) => {
    const { url } = await start();
    const doc = `matrix-${credential.replaceAll(' ', '-')}-${action.replaceAll(' ', '-')}`;
    // Seed the document so "unchanged" means something, and keep an observer to see relayed awareness.
    const seeder = await tryConnect(url, doc, {
      params: { token: await mintToken({ secret: SECRET, doc, access: 'write', expiresIn: '1m' }) },
    });
    if (typeof seeder === 'number') throw new Error(`seeder refused with ${seeder}`);
    seeder.sendRaw(encodeUpdate(contentUpdate('seed')));
    await barrier(seeder);
    const before = await stateVectorOf(url, doc);

    const token = await tokenFor(credential, doc);
    const client = await tryConnect(url, doc, token === undefined ? {} : { params: { token } });
    const refusedWith = REFUSED[credential];
    if (refusedWith !== undefined) {
      expect(client).toBe(refusedWith);
      expect(await stateVectorOf(url, doc)).toEqual(before);
      return;
    }
    if (typeof client === 'number') throw new Error(`refused with ${client}`);
    const awarenessBefore = seeder.receivedKinds.filter((kind) => kind === 'awareness').length;
    if (action === 'SyncStep2 with content') client.sendRaw(encodeSyncStep2(contentUpdate('step2')));
    if (action === 'Update') client.sendRaw(encodeUpdate(contentUpdate('update')));
    if (action === 'awareness') client.sendAwareness(encodeAwarenessEntries([{ clientID: 991, clock: 1, state: {} }]));
    await barrier(client);

    const after = await stateVectorOf(url, doc);
    const writes = action === 'SyncStep2 with content' || action === 'Update';
    if (writes && credential === 'read') {
      expect(client.receivedKinds).toContain('permission-denied');
      expect(after).toEqual(before);
    } else if (writes) {
      expect(client.receivedKinds).not.toContain('permission-denied');
      expect(after).not.toEqual(before);
    } else {
      expect(after).toEqual(before);
    }
    if (action === 'awareness') {
      // Presence is not document content: read-only peers may show theirs.
      await waitFor(
        () => seeder.receivedKinds.filter((kind) => kind === 'awareness').length > awarenessBefore,
        'the awareness state to reach the other peer',
      );
    }
    expect(client.socket.readyState).toBe(WebSocket.OPEN);
  });
});

describe('authentication', () => {
  it('refuses before the upgrade and loads no document', async () => {
    const { url, server: weft } = await start();
    for (const credential of ['no token', 'bad signature', 'expired', 'other document'] as const) {
      const token = await tokenFor(credential, 'unloaded');
      expect(await tryConnect(url, 'unloaded', token === undefined ? {} : { params: { token } })).toBe(
        REFUSED[credential],
      );
    }
    expect(weft.stats().rooms).toBe(0);
  });

  it('takes the token from Sec-WebSocket-Protocol and answers with "weft" only', async () => {
    const { url } = await start();
    const token = await mintToken({ secret: SECRET, doc: 'sub', access: 'write', expiresIn: '1m' });
    const client = await tryConnect(url, 'sub', { protocols: tokenSubprotocols(token) });
    if (typeof client === 'number') throw new Error(`refused with ${client}`);
    expect(client.socket.protocol).toBe('weft');
  });

  it('grants a prefix', async () => {
    const { url } = await start();
    const token = await mintToken({ secret: SECRET, prefix: 'team/', access: 'write', expiresIn: '1m' });
    expect(typeof (await tryConnect(url, 'team/board', { params: { token } }))).toBe('object');
    expect(await tryConnect(url, 'teamX', { params: { token } })).toBe(403);
  });

  it('accepts EdDSA and ES256 tokens against their public keys, and refuses a token of the other key', async () => {
    const ed = generateKeyPairSync('ed25519');
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const pem = (key: typeof ed.publicKey) => key.export({ type: 'spki', format: 'pem' }).toString();
    const { url } = await start({ publicKey: pem(ed.publicKey) });
    const good = await mintToken({ privateKey: ed.privateKey, doc: 'signed', access: 'write', expiresIn: 60 });
    expect(typeof (await tryConnect(url, 'signed', { params: { token: good } }))).toBe('object');
    const wrongKey = await mintToken({ privateKey: ec.privateKey, doc: 'signed', access: 'write', expiresIn: 60 });
    expect(await tryConnect(url, 'signed', { params: { token: wrongKey } })).toBe(401);
    await server?.dispose();
    const es = await start({ publicKey: pem(ec.publicKey) });
    expect(typeof (await tryConnect(es.url, 'signed', { params: { token: wrongKey } }))).toBe('object');
  });

  it('closes a session with 4401 when its token expires', async () => {
    const { url } = await start();
    const token = await mintToken({ secret: SECRET, doc: 'expiring', access: 'write', expiresIn: '2s' });
    const client = await tryConnect(url, 'expiring', { params: { token } });
    if (typeof client === 'number') throw new Error(`refused with ${client}`);
    expect(await client.closed).toEqual({ code: CloseCode.unauthenticated, reason: 'token expired' });
  });

  it('lets an authenticate hook decide', async () => {
    const { url } = await start({
      authenticate: ({ request, docName }) =>
        request.headers['x-user'] === 'ada'
          ? { access: docName.startsWith('ada/') ? 'write' : 'read' }
          : { refused: 401, reason: 'who are you?' },
    });
    const asAda = (doc: string) =>
      new Promise<number | string>((resolve) => {
        const socket = new WebSocket(`${url}/${doc}`, { headers: { 'x-user': 'ada' } });
        socket.on('open', () => {
          resolve('open');
          socket.close();
        });
        socket.on('unexpected-response', (_request, response) => resolve(response.statusCode ?? 0));
      });
    expect(await asAda('ada/notes')).toBe('open');
    expect(await tryConnect(url, 'ada/notes')).toBe(401);
    // Read access from the hook: a write gets permission-denied.
    const reader = await new Promise<WebSocket>((resolve) => {
      const socket = new WebSocket(`${url}/shared`, { headers: { 'x-user': 'ada' } });
      socket.on('open', () => resolve(socket));
    });
    cleanups.push(() => reader.close());
    const denied = new Promise<Buffer>((resolve) =>
      reader.on('message', (data: Buffer) => data[0] === 2 && resolve(data)),
    );
    reader.send(encodeUpdate(contentUpdate('x')));
    expect((await denied).toString('utf8')).toContain(READ_ONLY_REASON);
  });

  it('refuses with 503 when authentication misses its deadline', async () => {
    const { url, server: weft } = await start({ authenticate: () => new Promise(() => {}) }, { authTimeoutMs: 100 });
    expect(await tryConnect(url, 'slow')).toBe(503);
    expect(weft.stats().rooms).toBe(0);
  });

  it('refuses origins outside the allowlist', async () => {
    const { url } = await start({}, { allowedOrigins: ['https://app.example'] });
    const status = (origin: string) =>
      new Promise<number | string>((resolve) => {
        const socket = new WebSocket(`${url}/o`, { origin });
        socket.on('open', () => {
          resolve('open');
          socket.close();
        });
        socket.on('unexpected-response', (_request, response) => resolve(response.statusCode ?? 0));
      });
    expect(await status('https://evil.example')).toBe(403);
    expect(await status('https://app.example')).toBe('open');
  });

  it('lets a stock y-websocket client pass its token in params', async () => {
    const { url } = await start();
    const token = await mintToken({ secret: SECRET, doc: 'stock', access: 'write', expiresIn: '1m' });
    const provider = new WebsocketProvider(url, 'stock', new Y.Doc(), {
      WebSocketPolyfill: WebSocket as unknown as typeof globalThis.WebSocket,
      disableBc: true,
      params: { token },
    });
    cleanups.push(() => provider.destroy());
    provider.doc.getText('t').insert(0, 'from y-websocket');
    await waitFor(() => provider.synced, 'the provider to sync');
    const reader = await tryConnect(url, 'stock', { params: { token } });
    if (typeof reader === 'number') throw new Error(`refused with ${reader}`);
    await waitFor(() => reader.doc.getText('t').toString() === 'from y-websocket', 'the edit to arrive');
    reader.sendRaw(encodeQueryAwareness());
  });

  it('says in its log when authentication is off', async () => {
    const warnings: string[] = [];
    server = await startTestServer({
      logger: { debug() {}, info() {}, warn: (message) => warnings.push(message), error() {} },
    });
    expect(warnings.some((message) => message.startsWith('authentication is off'))).toBe(true);
  });
});
