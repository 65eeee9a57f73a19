import { createHash } from 'node:crypto';
import { appendFile, readdir, readFile, writeFile } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { CloseCode, encodeUpdate } from '@weft/protocol';
import { createFileStorage, createMemoryStorage } from '@weft/server';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import * as Y from 'yjs';
import { createFaultyStorage } from '../helpers/faulty-storage.ts';
import { connectProtocolClient, type ProtocolClient } from '../helpers/protocol-client.ts';
import { startTestServer, type TestServer } from '../helpers/start-server.ts';
import { createTempDir } from '../helpers/temp-dir.ts';
import { waitFor } from '../helpers/wait-for.ts';

/**
 * Sends a WebSocket upgrade with the raw path (no URL normalisation, which would already fold
 * `..` away) and resolves with the HTTP status and body of the refusal.
 */
function upgradeRefusal(baseUrl: string, path: string): Promise<{ status: number; body: string }> {
  const { hostname, port } = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const request = httpRequest({
      host: hostname,
      port,
      path,
      headers: {
        connection: 'Upgrade',
        upgrade: 'websocket',
        'sec-websocket-version': '13',
        'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==',
      },
    });
    request.on('upgrade', (_response, socket) => {
      socket.destroy();
      reject(new Error(`upgrade to ${path} was accepted`));
    });
    request.on('response', (response) => {
      let body = '';
      response.on('data', (chunk: Buffer) => {
        body += chunk.toString();
      });
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
    });
    request.on('error', reject);
    request.end();
  });
}

describe('server behaviour', () => {
  const servers: TestServer[] = [];
  const clients: ProtocolClient[] = [];
  const start = async (options: Parameters<typeof startTestServer>[0] = {}) => {
    const server = await startTestServer(options);
    servers.push(server);
    return server;
  };
  const connect = async (
    server: TestServer,
    name: string,
    options: Parameters<typeof connectProtocolClient>[2] = {},
  ) => {
    const client = await connectProtocolClient(server.url, name, options);
    clients.push(client);
    return client;
  };
  afterEach(async () => {
    for (const client of clients.splice(0)) client.close();
    for (const server of servers.splice(0)) await server.dispose();
  });

  it('answers an invalid document name with HTTP 400 before the upgrade, loading nothing', async () => {
    const server = await start();
    for (const path of [
      '%2e%2e',
      'a/../b',
      '..',
      'a/%2e%2e/b',
      '%2e%2e%2fetc%2fpasswd',
      'a%00b',
      'x'.repeat(300),
      'a//b',
      '%E0%A4%A',
      'a%20b',
    ]) {
      const refused = await upgradeRefusal(server.url, `/${path}`);
      expect(refused.status, path).toBe(400);
      expect(refused.body).toMatch(/invalid document name/);
    }
    expect(server.server.stats().rooms).toBe(0);
  });

  it('acks update-bearing messages once durable, and only to clients that asked', async () => {
    const server = await start();
    const weft = await connect(server, 'acks', { extensions: ['ack'] });
    const stock = await connect(server, 'acks');
    await Promise.all([weft.synced, stock.synced]);
    for (let i = 0; i < 20; i++) weft.doc.getArray<number>('a').push([i]);
    stock.doc.getText('t').insert(0, 'stock');
    await waitFor(() => weft.ackedUpdates === weft.sentUpdates, 'every update to be acked');
    expect(weft.sentUpdates).toBe(21); // 1 SyncStep2 + 20 updates
    await waitFor(() => weft.doc.getText('t').toString() === 'stock', 'stock edit to arrive');
    expect(stock.receivedKinds.filter((kind) => kind === 'durable-ack' || kind === 'error')).toEqual([]);
    expect(stock.receivedKinds).toContain('update');
  });

  it("acks an update once what was stored up to it is durable, without waiting for other clients' later appends", async () => {
    const { storage, control } = createFaultyStorage(createMemoryStorage());
    const server = await start({ storage });
    const writer = await connect(server, 'acks-own', { extensions: ['ack'] });
    const other = await connect(server, 'acks-own', { extensions: ['ack'] });
    await Promise.all([writer.synced, other.synced]);
    await waitFor(
      () => writer.ackedUpdates === writer.sentUpdates && other.ackedUpdates === other.sentUpdates,
      'handshake acks',
    );
    control.holdAppends = true;
    writer.doc.getText('t').insert(0, 'a');
    await waitFor(() => control.heldAppends.length === 1, "the writer's first append");
    writer.doc.getText('t').insert(1, 'b');
    await waitFor(() => control.heldAppends.length === 2, "the writer's second append");
    other.doc.getArray('x').push([1]);
    await waitFor(() => control.heldAppends.length === 3, "the other client's append");
    // Both of the writer's updates become durable; the other client's append (stored after them) stays slow.
    control.heldAppends[0]?.();
    control.heldAppends[1]?.();
    await waitFor(() => writer.ackedUpdates === writer.sentUpdates, "the writer's updates to be acked");
    expect(other.ackedUpdates).toBeLessThan(other.sentUpdates);
    control.heldAppends[2]?.();
    await waitFor(() => other.ackedUpdates === other.sentUpdates, "the other client's update to be acked");
  });

  it('loads a document once for concurrent first connections, and answers only after the load', async () => {
    const memory = createMemoryStorage();
    const seed = new Y.Doc();
    seed.getText('t').insert(0, 'stored before');
    await memory.append('slow', Y.encodeStateAsUpdate(seed));
    const { storage, control } = createFaultyStorage(memory);
    control.loadDelayMs = 150;
    const server = await start({ storage });
    const connecting = Array.from({ length: 5 }, () => connect(server, 'slow'));
    const all = await Promise.all(connecting);
    await Promise.all(all.map((client) => client.synced));
    expect(control.loads).toBe(1);
    // The first message any client saw already carried the stored state: no "synced" on an empty doc.
    for (const client of all) {
      expect(client.receivedKinds[0]).toBe('sync-step-1');
      expect(client.doc.getText('t').toString()).toBe('stored before');
    }
  });

  /** Writes three real Yjs updates for `name` into a FileStorage log, as a crashed server would have left them. */
  const writeLog = async (dataDir: string, name: string) => {
    const storage = await createFileStorage({ directory: dataDir });
    const doc = new Y.Doc();
    const updates: Uint8Array[] = [];
    doc.on('update', (update: Uint8Array) => updates.push(update));
    for (const word of ['one ', 'two ', 'three']) doc.getText('t').insert(doc.getText('t').length, word);
    for (const update of updates) await storage.append(name, update);
    await storage.close();
    const hash = createHash('sha256').update(name).digest('hex');
    return { log: join(dataDir, 'docs', hash.slice(0, 2), hash, 'log-0000000000.bin'), updates };
  };

  it('recovers a document whose log ends in a torn record', async () => {
    const dir = await createTempDir();
    const { log } = await writeLog(dir.path, 'torn');
    await appendFile(log, Buffer.from([200, 0, 0, 0, 1, 2, 3, 4, 9, 9])); // a header promising 200 bytes, then 2
    const server = await start({ dataDir: dir.path });
    const reader = await connect(server, 'torn');
    await reader.synced;
    expect(reader.doc.getText('t').toString()).toBe('one two three');
    await server.dispose();
    await dir.remove();
  });

  it('quarantines a document whose log is damaged before its tail: 4404, files untouched, others carry on', async () => {
    const dir = await createTempDir();
    const { log, updates } = await writeLog(dir.path, 'fragile');
    const bytes = await readFile(log);
    const middle = 8 + (updates[0] as Uint8Array).length + 8; // first payload byte of the second record
    bytes[middle] = (bytes[middle] ?? 0) ^ 0xff;
    await writeFile(log, bytes);

    const server = await start({ dataDir: dir.path });
    const victim = await connect(server, 'fragile', { extensions: ['error'] });
    const { code, reason } = await victim.closed;
    expect(code).toBe(CloseCode.documentUnavailable);
    expect(reason).toMatch(/quarantined/);
    expect(victim.receivedKinds).toEqual(['error']);
    const healthy = await connect(server, 'healthy');
    await healthy.synced;
    await server.stop();
    expect(await readFile(log)).toEqual(bytes); // never overwritten, not even by the shutdown flush
    await server.dispose();
    await dir.remove();
  });

  it('restores every document identically after a restart', async () => {
    const first = await start();
    const docs = new Map<string, Y.Doc>();
    for (let i = 0; i < 8; i++) {
      const client = await connect(first, `doc-${i}`, { extensions: ['ack'] });
      client.doc.getText('t').insert(0, `text of ${i} `.repeat(i + 1));
      client.doc.getMap('m').set('n', i);
      client.doc.getText('t').delete(0, 2);
      docs.set(`doc-${i}`, client.doc);
    }
    await waitFor(() => clients.every((c) => c.ackedUpdates === c.sentUpdates), 'all acks');
    for (const client of clients.splice(0)) client.close();
    await first.stop();
    const second = await start({ dataDir: first.dataDir });
    for (const [name, original] of docs) {
      const reader = await connect(second, name);
      await reader.synced;
      expect(reader.doc.getText('t').toString()).toBe(original.getText('t').toString());
      expect(reader.doc.getMap('m').toJSON()).toEqual(original.getMap('m').toJSON());
      expect(Y.encodeStateVector(reader.doc)).toEqual(Y.encodeStateVector(original));
    }
  });

  it('unloads an idle document after a final flush into a snapshot', async () => {
    const server = await start({ idleUnloadMs: 20 });
    const client = await connect(server, 'idle', { extensions: ['ack'] });
    client.doc.getText('t').insert(0, 'soon idle');
    await waitFor(() => client.ackedUpdates === client.sentUpdates, 'ack');
    client.close();
    await waitFor(() => server.server.stats().rooms === 0, 'room to unload');
    const hash = createHash('sha256').update('idle').digest('hex');
    const files = await readdir(join(server.dataDir, 'docs', hash.slice(0, 2), hash));
    expect(files.some((f) => f.startsWith('snapshot-'))).toBe(true);
    const again = await connect(server, 'idle');
    await again.synced;
    expect(again.doc.getText('t').toString()).toBe('soon idle');
  });

  it('acks and stores once each an update that waits for a missing one, keeps it across a restart, and applies it when that arrives', async () => {
    const source = new Y.Doc();
    const updates: Uint8Array[] = [];
    source.on('update', (update: Uint8Array) => updates.push(update));
    const text = source.getText('t');
    text.insert(0, 'hello');
    text.insert(5, ' world');
    text.insert(11, '!');
    const [first, second, third] = updates as [Uint8Array, Uint8Array, Uint8Array];

    const inner = createMemoryStorage();
    const appended: number[] = [];
    const storage = {
      ...inner,
      append(name: string, update: Uint8Array) {
        appended.push(update.length);
        return inner.append(name, update);
      },
    };
    const before = await start({ storage });
    const writer = await connect(before, 'held', { extensions: ['ack'] });
    await writer.synced;
    // Both depend on the first update, which the server has not seen: Yjs holds them back.
    writer.sendRaw(encodeUpdate(second));
    writer.sendRaw(encodeUpdate(third));
    await waitFor(() => writer.ackedUpdates === 3, 'acks for the handshake and both held-back updates');
    // Each is stored once, as sent: the second did not rewrite the first.
    expect(appended).toEqual([second.length, third.length]);
    writer.close();
    await before.stop();

    const after = await start({ storage });
    const reader = await connect(after, 'held');
    await reader.synced;
    expect(reader.doc.getText('t').toString()).toBe('');
    // The handshake brought the held-back updates along; the missing one completes them.
    Y.applyUpdate(reader.doc, first);
    expect(reader.doc.getText('t').toString()).toBe('hello world!');
    const late = await connect(after, 'held');
    await late.synced;
    await waitFor(() => late.doc.getText('t').toString() === 'hello world!', 'the held-back updates to apply');
  });

  it('on a failed write, sends no ack and closes with a transient code; the edit arrives once storage recovers', async () => {
    const { storage, control } = createFaultyStorage(createMemoryStorage());
    const server = await start({ storage });
    const doc = new Y.Doc();
    const first = await connect(server, 'disk-full', { doc, extensions: ['ack'] });
    await first.synced;
    await waitFor(() => first.ackedUpdates === first.sentUpdates, 'handshake ack');
    const ackedBefore = first.ackedUpdates;
    control.failAppends = true;
    doc.getText('t').insert(0, 'precious');
    expect((await first.closed).code).toBe(CloseCode.internalError);
    expect(first.ackedUpdates).toBe(ackedBefore);

    control.failAppends = false;
    // The client still holds its edit; the next handshake re-sends it.
    const retry = await connect(server, 'disk-full', { doc: doc, extensions: ['ack'] });
    await waitFor(() => retry.ackedUpdates === retry.sentUpdates, 'ack after recovery');
    retry.close();
    const reader = await connect(server, 'disk-full');
    await reader.synced;
    expect(reader.doc.getText('t').toString()).toBe('precious');
  });

  it('terminates a connection that stops answering pings, and keeps one that answers', async () => {
    const server = await start({ pingIntervalMs: 30 });
    const silent = new WebSocket(`${server.url}/liveness`, { autoPong: false });
    const responsive = await connect(server, 'liveness');
    const silentClosed = new Promise<number>((resolve) => silent.on('close', (code) => resolve(code)));
    expect(await silentClosed).toBe(1006); // terminated: no close handshake
    expect(responsive.socket.readyState).toBe(WebSocket.OPEN);
    await waitFor(() => server.server.stats().connections === 1, 'the dead connection to be dropped');
  });

  it('closes a connection whose message exceeds maxPayload with 1009, and stores nothing of it', async () => {
    const server = await start({ maxPayload: 4096 });
    const big = await connect(server, 'limits');
    await big.synced;
    big.doc.getText('t').insert(0, 'x'.repeat(10_000));
    expect((await big.closed).code).toBe(1009);
    const reader = await connect(server, 'limits');
    await reader.synced;
    expect(reader.doc.getText('t').toString()).toBe('');
  });

  it('closes with 1013 a client that sends more than maxPayload while its document loads', async () => {
    const { storage, control } = createFaultyStorage(createMemoryStorage());
    control.loadDelayMs = 300;
    const server = await start({ storage, maxPayload: 4096 });
    const eager = await connect(server, 'loading');
    for (let i = 0; i < 3; i++) eager.sendRaw(new Uint8Array(2000).fill(1));
    expect((await eager.closed).code).toBe(CloseCode.tryAgainLater);
    const patient = await connect(server, 'loading');
    await patient.synced;
  });

  it('closes only the connection that sent a malformed message', async () => {
    const server = await start();
    const honest = await connect(server, 'mixed');
    const rogue = await connect(server, 'mixed');
    await Promise.all([honest.synced, rogue.synced]);
    rogue.sendRaw(new Uint8Array([0, 2, 5, 1, 2]));
    expect((await rogue.closed).code).toBe(CloseCode.badRequest);
    honest.doc.getText('t').insert(0, 'still here');
    const reader = await connect(server, 'mixed');
    await waitFor(() => reader.doc.getText('t').toString() === 'still here', 'honest edit to arrive');
  });
});
