import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { createSyncedStorage, type StorageChange } from './storage-api.ts';

const twoDevices = () => {
  const a = new Y.Doc();
  const b = new Y.Doc();
  a.on('update', (update: Uint8Array) => Y.applyUpdate(b, update, 'remote'));
  return { a: createSyncedStorage(a.getMap('settings')), b: createSyncedStorage(b.getMap('settings')) };
};

describe('synced storage', () => {
  it('behaves like Web Storage: getItem, setItem, removeItem, clear, key, length', () => {
    const { a } = twoDevices();
    expect(a.getItem('missing')).toBeNull();
    expect(a.length).toBe(0);
    a.setItem('theme', 'dark');
    a.setItem('zoom', 1.25);
    a.setItem('layout', { columns: 3, pinned: ['x'] });
    expect(a.getItem('theme')).toBe('dark');
    expect(a.getItem('zoom')).toBe(1.25);
    expect(a.getItem('layout')).toEqual({ columns: 3, pinned: ['x'] });
    expect(a.length).toBe(3);
    expect([0, 1, 2, 3].map((index) => a.key(index))).toEqual(['layout', 'theme', 'zoom', null]);
    a.removeItem('theme');
    a.removeItem('never-set');
    expect(a.getItem('theme')).toBeNull();
    a.clear();
    expect(a.length).toBe(0);
  });

  it('syncs values between devices and reports each change with its origin', () => {
    const { a, b } = twoDevices();
    const seenByA: StorageChange[] = [];
    const seenByB: StorageChange[] = [];
    a.subscribe((change) => seenByA.push(change));
    const stop = b.subscribe((change) => seenByB.push(change));
    a.setItem('theme', 'dark');
    a.setItem('theme', 'light');
    expect(b.getItem('theme')).toBe('light');
    expect(seenByA).toEqual([
      { key: 'theme', oldValue: null, newValue: 'dark', local: true },
      { key: 'theme', oldValue: 'dark', newValue: 'light', local: true },
    ]);
    expect(seenByB.map((change) => change.local)).toEqual([false, false]);
    stop();
    a.removeItem('theme');
    expect(seenByB).toHaveLength(2);
    expect(seenByA.at(-1)).toEqual({ key: 'theme', oldValue: 'light', newValue: null, local: true });
  });

  it('stores a copy, so changing the object afterwards changes nothing', () => {
    const { a } = twoDevices();
    const value = { list: [1, 2] };
    a.setItem('v', value);
    value.list.push(3);
    expect(a.getItem('v')).toEqual({ list: [1, 2] });
  });

  it('refuses values JSON cannot hold, with the path in the message', () => {
    const { a } = twoDevices();
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(() => a.setItem('x', undefined as never)).toThrow(/x is a undefined/);
    expect(() => a.setItem('x', { n: Number.NaN })).toThrow(/x\.n is NaN/);
    expect(() => a.setItem('x', { when: new Date() } as never)).toThrow(/x\.when is a Date/);
    expect(() => a.setItem('x', cyclic as never)).toThrow(/refers to itself/);
    expect(() => a.setItem('x', (() => 1) as never)).toThrow(TypeError);
    expect(a.length).toBe(0);
  });
});
