import { decodeFrame, encodeSyncStep1 } from '@weft/protocol';
import { WebSocket } from 'ws';
import { Awareness, applyAwarenessUpdate } from 'y-protocols/awareness';
import * as Y from 'yjs';
import { comparableText } from './comparable-text.ts';

/** What a fresh client got from the server: the text and awareness, or why it could not read them. */
export interface DocumentReading {
  /** The text, as `comparableText` gives it. */
  text: string;
  /** Client ids of the awareness states the server sent in its handshake. */
  awarenessIds: number[];
  /** Set when the server's data could not be applied, or the server closed before answering. */
  problem?: string;
}

/**
 * Joins `docName` as a brand-new client, applies the server's SyncStep2 and handshake awareness,
 * and leaves. Unlike a provider it never throws from a socket handler: a document the server can no
 * longer serve is reported in `problem`, so a test can say so instead of dying of an uncaught error.
 */
export function readDocument(baseUrl: string, docName: string, timeoutMs = 5_000): Promise<DocumentReading> {
  const doc = new Y.Doc();
  const awareness = new Awareness(doc);
  awareness.setLocalState(null);
  const socket = new WebSocket(`${baseUrl}/${docName}`);
  const result = (problem?: string): DocumentReading => ({
    text: comparableText(doc.getText('shared').toString()),
    awarenessIds: [...awareness.getStates().keys()],
    ...(problem === undefined ? {} : { problem }),
  });
  return new Promise<DocumentReading>((resolve) => {
    const timer = setTimeout(() => finish(`no SyncStep2 within ${timeoutMs} ms`), timeoutMs);
    let done = false;
    const finish = (problem?: string) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      resolve(result(problem));
      socket.close();
    };
    socket.on('open', () => socket.send(encodeSyncStep1(Y.encodeStateVector(doc))));
    socket.on('message', (data: Buffer) => {
      try {
        for (const message of decodeFrame(new Uint8Array(data))) {
          if (message.kind === 'awareness') applyAwarenessUpdate(awareness, message.update, 'server');
          if (message.kind === 'sync-step-2') {
            Y.applyUpdate(doc, message.update, 'server');
            finish();
          }
        }
      } catch (error) {
        finish(`could not apply what the server sent: ${error}`);
      }
    });
    socket.on('error', (error) => finish(`socket error: ${error.message}`));
    socket.on('close', (code, reason) => finish(`closed with ${code} ${reason.toString()} before answering`));
  }).finally(() => {
    awareness.destroy();
    doc.destroy();
  });
}
