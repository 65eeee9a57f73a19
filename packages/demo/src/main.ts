import { type Board, mountBoard } from './board.ts';
import { h } from './dom.ts';
import { registerServiceWorker } from './register-service-worker.ts';
import { roomFromLocation } from './room.ts';

/** The page's own server: the app and the documents come from the same origin. */
const serverUrl = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}`;

function start(root: HTMLElement): void {
  let board: Board | undefined;
  let room = '';
  // Rooms change through the URL; each switch finishes closing the old document before opening the next.
  let switching: Promise<void> = Promise.resolve();

  const open = () => {
    const next = roomFromLocation(location);
    if (next === room) return;
    room = next;
    switching = switching
      .then(async () => {
        await board?.destroy();
        board = undefined;
        if (room !== next) return;
        board = await mountBoard({ root, room: next, serverUrl });
        // Tests and curious developers can reach the live provider from the console.
        Object.assign(window, { weftBoard: board });
      })
      .catch((error: unknown) => {
        root.replaceChildren(
          h('div', { class: 'banner', role: 'alert' }, `Could not open the board: ${String(error)}`),
        );
      });
  };

  window.addEventListener('hashchange', open);
  open();
}

const root = document.getElementById('app');
if (root) start(root);
registerServiceWorker();
