import { createProvider, createStore, createSyncedStorage, type Provider } from '@weft/client';
import type * as Y from 'yjs';
import { readBoardSettings } from './board-settings.ts';
import { createCleanup, h } from './dom.ts';
import { createNotesView } from './notes-view.ts';
import { createOfflineSwitch, prefersOffline } from './offline-switch.ts';
import { createPresenceView } from './presence-view.ts';
import { docNameForRoom } from './room.ts';
import { createRoomSwitcher } from './room-switcher.ts';
import { createSettingsPanel } from './settings-panel.ts';
import { createStatusBadge } from './status-badge.ts';
import type { TaskMap } from './tasks-model.ts';
import { createTasksView } from './tasks-view.ts';
import { loadLocalUser } from './user.ts';

export interface BoardOptions {
  root: HTMLElement;
  room: string;
  /** WebSocket URL of the server (the page's own origin). */
  serverUrl: string;
}

export interface Board {
  provider: Provider;
  destroy(): Promise<void>;
}

/** Opens the room's document and mounts the whole board into `root`. */
export async function mountBoard(options: BoardOptions): Promise<Board> {
  const { root, room } = options;
  const cleanup = createCleanup();
  const provider = createProvider({
    url: options.serverUrl,
    name: docNameForRoom(room),
    connect: !prefersOffline(sessionStorage),
  });
  const user = loadLocalUser(localStorage);
  provider.setUser(user);
  // Show the board from IndexedDB first; with no storage at all it still opens, empty.
  await provider.whenLoaded().catch(() => undefined);

  const settings = createSyncedStorage(provider.doc.getMap('settings'));
  const tasks = provider.doc.getMap('tasks') as TaskMap;
  const notes = provider.doc.getText('notes') as Y.Text;
  const banner = h('div', { class: 'banner', role: 'alert', hidden: true });
  const title = h('h1', { class: 'board-title' });

  const store = createStore(tasks);
  cleanup.add(store.destroy);
  const tasksView = createTasksView({
    tasks,
    store,
    hideCompleted: () => readBoardSettings(settings, room).hideCompleted,
  });
  const notesView = createNotesView(notes);
  const presence = createPresenceView(provider);
  const status = createStatusBadge(provider);
  const offline = createOfflineSwitch(provider, sessionStorage);
  const switcher = createRoomSwitcher(room, window.location);
  const settingsPanel = createSettingsPanel({ provider, settings, room, user, localStorage });
  const settingsButton = h(
    'button',
    { type: 'button', class: 'button ghost settings-button', 'aria-haspopup': 'dialog' },
    h('span', { 'aria-hidden': 'true' }, '⚙'),
    ' Settings',
  );
  settingsButton.addEventListener('click', settingsPanel.open);

  const applySettings = () => {
    const current = readBoardSettings(settings, room);
    title.textContent = current.title;
    document.title = `${current.title} · Weft board`;
    document.documentElement.style.setProperty('--accent', current.accent);
    tasksView.render();
  };
  const showBanner = (message: string, kind: 'sync' | 'storage') => {
    banner.textContent = message;
    banner.dataset.kind = kind;
    banner.hidden = false;
  };

  root.replaceChildren(
    h(
      'header',
      { class: 'topbar' },
      h('div', { class: 'brand' }, h('span', { class: 'logo', 'aria-hidden': 'true' }, 'W'), title),
      switcher.element,
      h('div', { class: 'topbar-end' }, presence.element, status.element, offline.element, settingsButton),
    ),
    banner,
    h('main', { class: 'board' }, tasksView.element, notesView.element),
    settingsPanel.element,
  );
  applySettings();

  cleanup.add(settings.subscribe(applySettings));
  cleanup.add(provider.on('error', (error) => showBanner(`Not syncing: ${error.message}`, 'sync')));
  // A later successful sync (after a token refresh, or the server coming back) clears the error.
  cleanup.add(
    provider.on('status', (current) => {
      if (current === 'synced' && banner.dataset.kind === 'sync') banner.hidden = true;
    }),
  );
  cleanup.add(
    provider.on('persistence-error', (error) =>
      showBanner(
        `This browser is not keeping an offline copy (${error.message}). Edits still sync while online.`,
        'storage',
      ),
    ),
  );
  for (const part of [tasksView, notesView, presence, status, offline, switcher, settingsPanel])
    cleanup.add(part.destroy);

  return {
    provider,
    async destroy() {
      cleanup.run();
      await provider.destroy();
    },
  };
}
