import { CloseCode, encodeQueryAwareness, encodeSyncStep1, encodeSyncStep2, encodeUpdate } from '@weft/protocol';
import type { ServerOptions } from '@weft/server';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import * as Y from 'yjs';
import { encodeAwarenessEntries } from '../fuzz/corpus.ts';
import { readDocument } from '../fuzz/read-document.ts';
import { connectProtocolClient, type ProtocolClient } from '../helpers/protocol-client.ts';
import { startTestServer, type TestServer } from '../helpers/start-server.ts';
import { waitFor } from '../helpers/wait-for.ts';

let server: TestServer | undefined;
const cleanups: (() => void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) cleanup();
  await server?.dispose();
  server = undefined;
});

async function start(options: ServerOptions = {}) {
  server = await startTestServer(options);
  return server;
}

async function connect(url: string, doc: string, ydoc?: Y.Doc): Promise<ProtocolClient> {
  const client = await connectProtocolClient(url, doc, ydoc ? { doc: ydoc } : {});
  cleanups.push(() => client.close());
  await client.synced;
  return client;
}

function textUpdate(text: string, clientID?: number): Uint8Array {
  const doc = new Y.Doc();
  if (clientID !== undefined) doc.clientID = clientID;
  doc.getText('shared').insert(0, text);
  return Y.encodeStateAsUpdate(doc);
}

/** Sends a SyncStep1 and waits for its answer: everything sent before it has been handled. */
async function barrier(client: ProtocolClient): Promise<void> {
  const answers = () => client.receivedKinds.filter((kind) => kind === 'sync-step-2').length;
  const expected = answers() + 1;
  client.sendRaw(encodeSyncStep1(new Uint8Array([0])));
  await waitFor(() => answers() >= expected, 'the server to answer the barrier');
}

/** Awareness messages `client` received so far. */
const awarenessCount = (client: ProtocolClient) => client.receivedKinds.filter((kind) => kind === 'awareness').length;

describe('limits', () => {
  it('closes a frame over maxPayload with 1009', async () => {
    const { url } = await start({ maxPayload: 1024 });
    const client = await connect(url, 'payload');
    client.sendRaw(encodeUpdate(textUpdate('x'.repeat(4096))));
    expect((await client.closed).code).toBe(CloseCode.messageTooBig);
    expect((await readDocument(url, 'payload')).text).toBe('');
  });

  it('closes a connection over its rate limit with 1008, and only that one', async () => {
    const { url } = await start({ rateLimit: { messagesPerSecond: 5, messageBurst: 20 } });
    const honest = await connect(url, 'rate');
    const flooder = await connect(url, 'rate');
    for (let index = 0; index < 200; index++) flooder.sendRaw(encodeQueryAwareness());
    const closed = await flooder.closed;
    expect(closed.code).toBe(CloseCode.policyViolation);
    expect(closed.reason).toMatch(/rate limit/);
    honest.doc.getText('shared').insert(0, 'still here');
    await barrier(honest);
    expect(honest.socket.readyState).toBe(WebSocket.OPEN);
    expect((await readDocument(url, 'rate')).text).toBe('still here');
  });

  it('terminates a client that stops reading once its unread bytes pass maxBufferedBytes', async () => {
    const { url, server: weft } = await start({ maxBufferedBytes: 256 * 1024 });
    const slow = await connect(url, 'slow');
    const writer = await connect(url, 'slow');
    slow.socket.pause(); // stops reading: the server's bytes pile up in its send buffer
    let sent = 0;
    const chunk = 'y'.repeat(64 * 1024);
    // Send until the server gives up on the slow reader (the kernel's socket buffers absorb some first).
    while (weft.stats().connections > 1 && sent < 2000) {
      writer.doc.getText('shared').insert(0, chunk);
      sent += 1;
      if (sent % 16 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    await waitFor(() => weft.stats().connections === 1, 'the slow reader to be terminated');
    expect(writer.socket.readyState).toBe(WebSocket.OPEN);
    slow.socket.resume();
    expect((await slow.closed).code).toBe(1006); // terminated: no close frame
  });

  it('unloads the least recently used idle document for a new one, and refuses when all are in use', async () => {
    const { url, server: weft } = await start({ maxLoadedDocuments: 2, idleUnloadMs: 60_000 });
    const first = await connect(url, 'lru-a');
    first.doc.getText('shared').insert(0, 'kept on disk');
    await waitFor(() => first.sentUpdates >= 2, 'the edit to be sent');
    const b = await connect(url, 'lru-b');
    first.close(); // lru-a is now the least recently used idle document
    await waitFor(() => weft.stats().connections === 1, 'lru-a to be left');
    await connect(url, 'lru-c');
    await waitFor(() => weft.stats().rooms === 2, 'lru-a to be unloaded');
    // lru-b and lru-c are in use: a third document is refused (transient) rather than evicting them.
    const refused = await connectProtocolClient(url, 'lru-d');
    cleanups.push(() => refused.close());
    expect((await refused.closed).code).toBe(CloseCode.tryAgainLater);
    expect(b.socket.readyState).toBe(WebSocket.OPEN);
    b.close();
    await waitFor(() => weft.stats().connections === 1, 'lru-b to be left');
    // The unloaded document was flushed first: it comes back whole.
    expect((await readDocument(url, 'lru-a')).text).toBe('kept on disk');
  });

  it('refuses an update that would grow a document past maxDocumentBytes with 4413', async () => {
    const { url } = await start({ maxDocumentBytes: 8 * 1024 });
    const client = await connect(url, 'big');
    client.sendRaw(encodeUpdate(textUpdate('small')));
    client.sendRaw(encodeUpdate(textUpdate('z'.repeat(16 * 1024))));
    expect((await client.closed).code).toBe(CloseCode.tooLarge);
    expect((await readDocument(url, 'big')).text).toBe('small');
  });

  it('caps the updates held for missing dependencies (4413) and keeps what it held before', async () => {
    const { url } = await start({ maxPendingBytes: 2048 });
    const author = new Y.Doc();
    author.clientID = 4242;
    const text = author.getText('shared');
    const updates: Uint8Array[] = [];
    author.on('update', (update: Uint8Array) => updates.push(update));
    text.insert(0, 'base ');
    text.insert(5, 'a'.repeat(100));
    text.insert(105, 'b'.repeat(4096));
    const [base, small, large] = updates as [Uint8Array, Uint8Array, Uint8Array];
    const client = await connect(url, 'pending');
    client.sendRaw(encodeUpdate(small)); // held: needs `base`
    client.sendRaw(encodeUpdate(large)); // would hold 4 KiB more: refused
    expect((await client.closed).code).toBe(CloseCode.tooLarge);
    const healer = await connect(url, 'pending');
    healer.sendRaw(encodeUpdate(base)); // unblocks what was held
    await waitFor(() => healer.doc.getText('shared').toString() === `base ${'a'.repeat(100)}`, 'the held update');
    expect((await readDocument(url, 'pending')).text).toBe(`base ${'a'.repeat(100)}`);
  });
});

describe('integrity between clients', () => {
  it('lets a connection set and remove only the awareness states it owns', async () => {
    const { url } = await start();
    const owner = await connect(url, 'presence');
    const intruder = await connect(url, 'presence');
    const before = awarenessCount(intruder);
    owner.sendAwareness(encodeAwarenessEntries([{ clientID: 500, clock: 1, state: { user: 'owner' } }]));
    await waitFor(() => awarenessCount(intruder) > before, 'the owner state to be relayed');
    intruder.sendAwareness(encodeAwarenessEntries([{ clientID: 500, clock: 2, state: { user: 'forged' } }]));
    intruder.sendAwareness(encodeAwarenessEntries([{ clientID: 500, clock: 3, state: null }]));
    // Its own state goes through, in the same kind of message.
    const ownerSaw = awarenessCount(owner);
    intruder.sendAwareness(encodeAwarenessEntries([{ clientID: 501, clock: 1, state: { user: 'intruder' } }]));
    await waitFor(() => awarenessCount(owner) > ownerSaw, "the intruder's own state to be relayed");
    const reading = await readDocument(url, 'presence');
    expect(reading.awarenessIds.sort()).toEqual([500, 501]);
    expect(intruder.socket.readyState).toBe(WebSocket.OPEN);
  });

  it('caps awareness state size and client IDs per connection with 4413', async () => {
    const { url } = await start({ awareness: { maxStateBytes: 1024, maxEntriesPerConnection: 2 } });
    const large = await connect(url, 'presence-caps');
    large.sendAwareness(encodeAwarenessEntries([{ clientID: 1, clock: 1, state: { blob: 'x'.repeat(2048) } }]));
    expect((await large.closed).code).toBe(CloseCode.tooLarge);
    const many = await connect(url, 'presence-caps');
    many.sendAwareness(
      encodeAwarenessEntries([2, 3, 4].map((clientID) => ({ clientID, clock: 1, state: { user: clientID } }))),
    );
    expect((await many.closed).code).toBe(CloseCode.tooLarge);
    expect((await readDocument(url, 'presence-caps')).awarenessIds).toEqual([]);
  });

  it('refuses edits under a client ID another live connection edits under, and frees it when that one leaves', async () => {
    const { url, server: weft } = await start();
    const original = new Y.Doc();
    original.clientID = 777;
    const first = await connect(url, 'ids', original);
    original.getText('shared').insert(0, 'first');
    await waitFor(() => first.sentUpdates >= 2, 'the first edit to be sent');
    // A twin with the same ID typing concurrently: its clocks collide with the first one's.
    const twin = await connect(url, 'ids');
    twin.sendRaw(encodeUpdate(textUpdate('twin', 777)));
    const closed = await twin.closed;
    expect(closed.code).toBe(CloseCode.tryAgainLater);
    expect(closed.reason).toMatch(/client ID 777 is in use/);
    expect((await readDocument(url, 'ids')).text).toBe('first');
    // Relaying content the document already has (a SyncStep2) is not editing: it stays connected.
    const relay = await connect(url, 'ids');
    relay.sendRaw(encodeSyncStep2(Y.encodeStateAsUpdate(original)));
    expect((await readDocument(url, 'ids')).text).toBe('first');
    expect(relay.socket.readyState).toBe(WebSocket.OPEN);
    relay.close();
    // Once the first connection has left, the ID is free: its owner reconnects and goes on editing.
    first.close();
    await waitFor(() => weft.stats().connections === 0, 'the first connection to leave');
    const again = await connect(url, 'ids', original);
    original.getText('shared').insert(5, ' and more');
    await barrier(again);
    expect((await readDocument(url, 'ids')).text).toBe('first and more');
  });
});
