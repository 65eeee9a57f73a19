import { expect, it } from 'vitest';
import * as Y from 'yjs';
import { trimHeldBackStructs, withoutKnownStructs } from './held-back-updates.ts';

const AUTHOR = 1001;
const MISSING = 2002;

/** The server's document holds "real" by AUTHOR; a forger sends a different AUTHOR:0 whose origin is on a client the server lacks. */
function forgery(text = 'fake') {
  const server = new Y.Doc();
  const author = new Y.Doc();
  author.clientID = AUTHOR;
  author.getText('t').insert(0, 'real');
  Y.applyUpdate(server, Y.encodeStateAsUpdate(author));

  const forger = new Y.Doc();
  const missing = new Y.Doc();
  missing.clientID = MISSING;
  missing.getText('t').insert(0, 'm');
  Y.applyUpdate(forger, Y.encodeStateAsUpdate(missing));
  forger.clientID = AUTHOR;
  forger.getText('t').insert(1, text); // 'fake' has exactly the IDs of AUTHOR's 'real'
  // Only AUTHOR's structs: the MISSING item it refers to never reaches the server.
  const forged = Y.encodeStateAsUpdate(forger, Y.encodeStateVector(missing));
  return { server, forged };
}

const roundTrip = (doc: Y.Doc) => {
  const copy = new Y.Doc();
  Y.applyUpdate(copy, Y.encodeStateAsUpdate(doc));
  return copy.getText('t').toString();
};

it('without the guard, a held-back forged copy corrupts what the server encodes (the bug)', () => {
  const { server, forged } = forgery('forged copy');
  Y.applyUpdate(server, forged);
  expect(server.getText('t').toString()).toBe('real');
  expect(server.store.pendingStructs).not.toBeNull();
  expect(roundTrip(server)).not.toBe('real');
});

it('a forgery with more structs than the document has integrates only the new part, consistently', () => {
  const server = new Y.Doc();
  const author = new Y.Doc();
  author.clientID = AUTHOR;
  author.getText('t').insert(0, 'real');
  Y.applyUpdate(server, Y.encodeStateAsUpdate(author));
  author.getText('t').insert(4, ' and more'); // AUTHOR:4.. are new to the server
  const update = Y.encodeStateAsUpdate(author);
  Y.applyUpdate(server, withoutKnownStructs(server, update, Y.decodeUpdate(update).structs));
  expect(server.getText('t').toString()).toBe('real and more');
  expect(roundTrip(server)).toBe('real and more');
});

it('known structs never reach Yjs, so nothing is held back and encoding keeps the real content', () => {
  const { server, forged } = forgery('forged copy');
  const update = withoutKnownStructs(server, forged, Y.decodeUpdate(forged).structs);
  Y.applyUpdate(server, update);
  // The known part is cut off; the new part (clocks 4..) now hangs off AUTHOR:3 and integrates.
  // Either way, what the server encodes is exactly what it has.
  expect(server.getText('t').toString()).toBe('realed copy');
  expect(roundTrip(server)).toBe('realed copy');
  const exact = forgery('fake');
  Y.applyUpdate(exact.server, withoutKnownStructs(exact.server, exact.forged, Y.decodeUpdate(exact.forged).structs));
  expect(exact.server.store.pendingStructs).toBeNull();
});

it('held-back structs the document integrated later (from someone else) are dropped', () => {
  const { forged } = forgery();
  const server = new Y.Doc();
  Y.applyUpdate(server, forged); // held back: its origin is missing
  expect(server.store.pendingStructs).not.toBeNull();
  const author = new Y.Doc();
  author.clientID = AUTHOR;
  author.getText('t').insert(0, 'real');
  Y.applyUpdate(server, Y.encodeStateAsUpdate(author));
  trimHeldBackStructs(server);
  expect(server.store.pendingStructs).toBeNull();
  expect(roundTrip(server)).toBe('real');
});

it('leaves updates with only new structs untouched (no re-encoding on the common path)', () => {
  const server = new Y.Doc();
  const client = new Y.Doc();
  client.getText('t').insert(0, 'new');
  const update = Y.encodeStateAsUpdate(client);
  expect(withoutKnownStructs(server, update, Y.decodeUpdate(update).structs)).toBe(update);
});
