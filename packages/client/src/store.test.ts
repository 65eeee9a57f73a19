import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { createStore } from './store.ts';

interface Board {
  title: string;
  tasks: Array<{ text: string; done: boolean }>;
  meta: { owner: string };
}

function board() {
  const doc = new Y.Doc();
  const root = doc.getMap('board');
  doc.transact(() => {
    root.set('title', 'Launch');
    const tasks = new Y.Array<Y.Map<unknown>>();
    root.set('tasks', tasks);
    for (const text of ['write', 'test']) {
      const task = new Y.Map<unknown>();
      task.set('text', text);
      task.set('done', false);
      tasks.push([task]);
    }
    root.set('meta', { owner: 'ada' });
    root.set('notes', new Y.Text('hello'));
  });
  return { doc, root, tasks: root.get('tasks') as Y.Array<Y.Map<unknown>> };
}

describe('snapshot store', () => {
  it('turns nested Yjs types into frozen plain data', () => {
    const { root } = board();
    const store = createStore<Board & { notes: string }>(root);
    const snapshot = store.getSnapshot();
    expect(snapshot).toEqual({
      title: 'Launch',
      tasks: [
        { text: 'write', done: false },
        { text: 'test', done: false },
      ],
      meta: { owner: 'ada' },
      notes: 'hello',
    });
    expect(Object.isFrozen(snapshot)).toBe(true);
    expect(Object.isFrozen(snapshot.tasks[0])).toBe(true);
    expect(Object.isFrozen(snapshot.meta)).toBe(true);
  });

  it('returns the same snapshot until something changes', () => {
    const { root } = board();
    const store = createStore(root);
    expect(store.getSnapshot()).toBe(store.getSnapshot());
  });

  it('keeps the identity of unchanged subtrees and replaces the changed path', () => {
    const { root, tasks } = board();
    const store = createStore<Board>(root);
    const before = store.getSnapshot();
    let notified = 0;
    store.subscribe(() => notified++);
    tasks.get(1).set('done', true);
    const after = store.getSnapshot();
    expect(notified).toBe(1);
    expect(after).not.toBe(before);
    expect(after.tasks).not.toBe(before.tasks);
    expect(after.tasks[1]).not.toBe(before.tasks[1]);
    expect(after.tasks[1]?.done).toBe(true);
    expect(after.tasks[0]).toBe(before.tasks[0]);
    expect(after.meta).toBe(before.meta);
    expect(before.tasks[1]?.done).toBe(false);
  });

  it('follows remote changes and stops after unsubscribe and destroy', () => {
    const { doc, root } = board();
    const remote = new Y.Doc();
    Y.applyUpdate(remote, Y.encodeStateAsUpdate(doc));
    const store = createStore<Board>(root);
    const calls: string[] = [];
    const stop = store.subscribe(() => calls.push(store.getSnapshot().title));
    remote.getMap('board').set('title', 'Shipped');
    Y.applyUpdate(doc, Y.encodeStateAsUpdate(remote, Y.encodeStateVector(doc)));
    expect(calls).toEqual(['Shipped']);
    stop();
    root.set('title', 'Again');
    expect(calls).toHaveLength(1);
    expect(store.getSnapshot().title).toBe('Again');
    store.destroy();
    root.set('title', 'Unseen');
    expect(store.getSnapshot().title).toBe('Again');
  });

  it('works with useSyncExternalStore semantics: stable between changes, new after', () => {
    const doc = new Y.Doc();
    const list = doc.getArray<number>('list');
    const store = createStore<number[]>(list);
    const seen = new Set<unknown>();
    store.subscribe(() => seen.add(store.getSnapshot()));
    list.push([1]);
    list.push([2]);
    expect(seen.size).toBe(2);
    expect(store.getSnapshot()).toEqual([1, 2]);
  });
});
