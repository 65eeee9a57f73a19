import { expect, it } from 'vitest';
import { createSaveTracker } from './save-tracker.ts';

it('counts edits as unsaved until an ack covers the message that carried them', () => {
  const tracker = createSaveTracker();
  tracker.edit();
  tracker.edit();
  expect(tracker.sent()).toBe(1); // carries both edits
  tracker.edit();
  expect(tracker.sent()).toBe(2);
  expect(tracker.unsaved).toBe(3);
  expect(tracker.acked(1)).toBe(true);
  expect(tracker.unsaved).toBe(1);
  expect(tracker.acked(1)).toBe(false);
  expect(tracker.acked(2)).toBe(true);
  expect(tracker.unsaved).toBe(0);
});

it('restored edits of an earlier page load are covered by the next handshake', () => {
  const tracker = createSaveTracker();
  tracker.restore(4);
  expect(tracker.unsaved).toBe(4);
  tracker.sent(); // the SyncStep2 answering the server
  tracker.reset(); // ... but the connection dropped before the ack
  tracker.edit();
  expect(tracker.sent()).toBe(1); // numbering restarts per connection
  expect(tracker.acked(1)).toBe(true);
  expect(tracker.unsaved).toBe(0);
});
