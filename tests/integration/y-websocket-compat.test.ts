import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { WebsocketProvider } from 'y-websocket';
import * as Y from 'yjs';
import { startTestServer, type TestServer } from '../helpers/start-server.ts';
import { waitFor } from '../helpers/wait-for.ts';

// Stock y-websocket v3 clients, unchanged, against the Weft server.
describe('stock y-websocket clients', () => {
  let server: TestServer;
  const providers: WebsocketProvider[] = [];

  const connect = (room: string, doc = new Y.Doc()) => {
    const provider = new WebsocketProvider(server.url, room, doc, {
      WebSocketPolyfill: WebSocket as unknown as typeof globalThis.WebSocket,
      disableBc: true,
    });
    providers.push(provider);
    return provider;
  };
  const synced = (provider: WebsocketProvider) =>
    waitFor(() => provider.synced, `provider for ${provider.roomname} to sync`);

  beforeEach(async () => {
    server = await startTestServer();
  });
  afterEach(async () => {
    for (const provider of providers.splice(0)) provider.destroy();
    await server.dispose();
  });

  it('syncs text and maps between two clients, and a late joiner gets everything', async () => {
    const a = connect('notes');
    const b = connect('notes');
    await Promise.all([synced(a), synced(b)]);

    a.doc.getText('body').insert(0, 'hello from a');
    b.doc.getMap('meta').set('title', 'Weft');
    b.doc.getMap('meta').set('count', 3);
    await waitFor(() => b.doc.getText('body').toString() === 'hello from a', 'text to reach b');
    await waitFor(() => a.doc.getMap('meta').get('count') === 3, 'map to reach a');

    const late = connect('notes');
    await synced(late);
    expect(late.doc.getText('body').toString()).toBe('hello from a');
    expect(late.doc.getMap('meta').toJSON()).toEqual({ title: 'Weft', count: 3 });
  });

  it('keeps documents apart', async () => {
    const one = connect('room-one');
    const two = connect('room-two');
    await Promise.all([synced(one), synced(two)]);
    one.doc.getText('t').insert(0, 'only in one');
    const probe = connect('room-one');
    await synced(probe);
    await waitFor(() => probe.doc.getText('t').toString() === 'only in one', 'probe to see room-one');
    expect(two.doc.getText('t').toString()).toBe('');
  });

  it('relays awareness to peers and removes it when a client leaves', async () => {
    const a = connect('presence');
    const b = connect('presence');
    await Promise.all([synced(a), synced(b)]);
    a.awareness.setLocalStateField('user', { name: 'Ada', color: '#f80' });
    await waitFor(
      () => (b.awareness.getStates().get(a.awareness.clientID) as { user?: { name: string } })?.user?.name === 'Ada',
      'awareness of a to reach b',
    );
    // A late joiner receives current awareness states during the handshake.
    const c = connect('presence');
    await waitFor(() => c.awareness.getStates().has(a.awareness.clientID), 'awareness to reach the late joiner');

    // Closing the socket without a clean awareness removal: the server removes a's states itself.
    a.ws?.close();
    a.shouldConnect = false;
    await waitFor(() => !b.awareness.getStates().has(a.awareness.clientID), "a's awareness to be removed on b");
  });
});
