import { createCleanup, h, listen } from './dom.ts';
import {
  addTask,
  moveTask,
  removeCompleted,
  removeTask,
  setTaskDone,
  setTaskText,
  type Task,
  type TaskMap,
  tasksFromSnapshot,
} from './tasks-model.ts';

/** The part of `@weft/client`'s store this view needs. */
export interface SnapshotSource {
  subscribe(listener: () => void): () => void;
  getSnapshot(): unknown;
}

export interface TasksViewOptions {
  tasks: TaskMap;
  store: SnapshotSource;
  /** Whether completed tasks are hidden (a board setting); re-read on every render. */
  hideCompleted(): boolean;
}

export interface TasksView {
  element: HTMLElement;
  /** Re-renders, e.g. after a setting that affects the list changed. */
  render(): void;
  destroy(): void;
}

interface Row {
  item: HTMLLIElement;
  checkbox: HTMLInputElement;
  text: HTMLInputElement;
}

/** A small button showing only a symbol: `label` is read aloud, `title` shows on hover. */
function iconButton(label: string, title: string, symbol: string, extraClass = ''): HTMLButtonElement {
  const className = extraClass ? `icon-button ${extraClass}` : 'icon-button';
  return h('button', { type: 'button', class: className, title, 'aria-label': label }, symbol);
}

/**
 * The shared task list. Rows are keyed by task id and updated in place, so a remote change never
 * steals the focus or the caret from the row someone is typing in.
 */
export function createTasksView(options: TasksViewOptions): TasksView {
  const { tasks } = options;
  const cleanup = createCleanup();
  const newTask = h('input', {
    class: 'new-task',
    type: 'text',
    placeholder: 'Add a task and press Enter',
    'aria-label': 'New task',
    autocomplete: 'off',
    maxlength: 500,
  });
  const list = h('ul', { class: 'task-list', 'aria-label': 'Tasks' });
  const empty = h('div', { class: 'empty-state' });
  const summary = h('span', { class: 'panel-meta' });
  const clearDone = h('button', { type: 'button', class: 'link-button', hidden: true }, 'Clear completed');
  const element = h(
    'section',
    { class: 'panel tasks-panel', 'aria-labelledby': 'tasks-title' },
    h('header', { class: 'panel-header' }, h('h2', { id: 'tasks-title' }, 'Tasks'), summary, clearDone),
    h('form', { class: 'add-task' }, newTask, h('button', { type: 'submit', class: 'button primary' }, 'Add')),
    list,
    empty,
    h(
      'p',
      { class: 'hint' },
      h('kbd', {}, 'Enter'),
      ' adds · ',
      h('kbd', {}, 'Alt'),
      '+',
      h('kbd', {}, '↑'),
      h('kbd', {}, '↓'),
      ' moves · ',
      h('kbd', {}, 'Ctrl'),
      '+',
      h('kbd', {}, 'Enter'),
      ' completes · ',
      h('kbd', {}, 'Backspace'),
      ' on an empty task deletes',
    ),
  );
  const rows = new Map<string, Row>();
  let visible: Task[] = [];
  let focusAfterRender: { id: string; caret: 'start' | 'end' } | undefined;

  const focusRow = (id: string | undefined, caret: 'start' | 'end' = 'end') => {
    const row = id === undefined ? undefined : rows.get(id);
    if (!row) {
      newTask.focus();
      return;
    }
    row.text.focus();
    const at = caret === 'end' ? row.text.value.length : 0;
    row.text.setSelectionRange(at, at);
  };

  const neighbourId = (id: string, offset: number) => visible[visible.findIndex((task) => task.id === id) + offset]?.id;

  const onRowKey = (id: string, event: KeyboardEvent, text: HTMLInputElement) => {
    const { key, altKey, ctrlKey, metaKey } = event;
    if (key === 'Enter' && (ctrlKey || metaKey)) {
      setTaskDone(tasks, id, !(tasks.get(id)?.get('done') === true));
    } else if (key === 'Enter') {
      focusAfterRender = { id: addTask(tasks, '', id), caret: 'end' };
    } else if ((key === 'ArrowUp' || key === 'ArrowDown') && altKey) {
      moveTask(tasks, visible, id, key === 'ArrowUp' ? -1 : 1);
      focusAfterRender = { id, caret: 'end' };
    } else if (key === 'ArrowUp' || key === 'ArrowDown') {
      focusRow(neighbourId(id, key === 'ArrowUp' ? -1 : 1));
    } else if ((key === 'Backspace' || key === 'Delete') && text.value === '') {
      const next = neighbourId(id, key === 'Backspace' ? -1 : 1) ?? neighbourId(id, key === 'Backspace' ? 1 : -1);
      removeTask(tasks, id);
      focusRow(next);
    } else if (key === 'Escape') {
      text.blur();
    } else {
      return;
    }
    event.preventDefault();
    render();
  };

  const createRow = (task: Task): Row => {
    const checkbox = h('input', { type: 'checkbox', class: 'task-done', 'aria-label': 'Done' });
    const text = h('input', {
      type: 'text',
      class: 'task-text',
      'aria-label': 'Task',
      placeholder: 'Untitled task',
      maxlength: 500,
    });
    const up = iconButton('Move up', 'Move up (Alt+↑)', '↑');
    const down = iconButton('Move down', 'Move down (Alt+↓)', '↓');
    const remove = iconButton('Delete', 'Delete', '×', 'danger');
    const item = h(
      'li',
      { class: 'task', 'data-id': task.id },
      checkbox,
      text,
      h('span', { class: 'task-actions' }, up, down, remove),
    );
    checkbox.addEventListener('change', () => setTaskDone(tasks, task.id, checkbox.checked));
    text.addEventListener('input', () => setTaskText(tasks, task.id, text.value));
    text.addEventListener('keydown', (event) => onRowKey(task.id, event, text));
    up.addEventListener('click', () => moveTask(tasks, visible, task.id, -1));
    down.addEventListener('click', () => moveTask(tasks, visible, task.id, 1));
    remove.addEventListener('click', () => {
      const next = neighbourId(task.id, 1) ?? neighbourId(task.id, -1);
      removeTask(tasks, task.id);
      focusRow(next);
    });
    return { item, checkbox, text };
  };

  const updateRow = (row: Row, task: Task) => {
    row.checkbox.checked = task.done;
    row.item.classList.toggle('done', task.done);
    if (row.text.value !== task.text) {
      // A remote edit of the row being typed in: keep the caret where it was (clamped).
      const focused = document.activeElement === row.text;
      const start = row.text.selectionStart ?? 0;
      const end = row.text.selectionEnd ?? 0;
      row.text.value = task.text;
      if (focused) row.text.setSelectionRange(Math.min(start, task.text.length), Math.min(end, task.text.length));
    }
  };

  function render() {
    const all = tasksFromSnapshot(options.store.getSnapshot());
    visible = options.hideCompleted() ? all.filter((task) => !task.done) : all;
    const focused = document.activeElement;
    const caret = focused instanceof HTMLInputElement ? [focused.selectionStart, focused.selectionEnd] : undefined;
    for (const [id, row] of rows) {
      if (!visible.some((task) => task.id === id)) {
        row.item.remove();
        rows.delete(id);
      }
    }
    let previous: Element | null = null;
    for (const task of visible) {
      let row = rows.get(task.id);
      if (!row) {
        row = createRow(task);
        rows.set(task.id, row);
      }
      updateRow(row, task);
      const expected: Element | null = previous ? previous.nextElementSibling : list.firstElementChild;
      if (expected !== row.item) list.insertBefore(row.item, expected);
      previous = row.item;
    }
    // Moving a row in the DOM blurs it; give the focus back.
    if (focused instanceof HTMLInputElement && document.activeElement !== focused && focused.isConnected) {
      focused.focus();
      if (caret) focused.setSelectionRange(caret[0] ?? 0, caret[1] ?? 0);
    }
    if (focusAfterRender && rows.has(focusAfterRender.id)) {
      focusRow(focusAfterRender.id, focusAfterRender.caret);
      focusAfterRender = undefined;
    }
    const doneCount = all.filter((task) => task.done).length;
    summary.textContent = all.length === 0 ? '' : `${doneCount} of ${all.length} done`;
    clearDone.hidden = doneCount === 0;
    empty.replaceChildren(
      ...(visible.length > 0
        ? []
        : all.length > 0
          ? [h('p', {}, 'Everything is done. Nice work!')]
          : [h('p', { class: 'empty-title' }, 'No tasks yet'), h('p', {}, 'Type one above and press Enter.')]),
    );
    empty.hidden = visible.length > 0;
  }

  cleanup.add(
    listen(element.querySelector('form') as HTMLFormElement, 'submit', (event) => {
      event.preventDefault();
      const text = newTask.value.trim();
      if (!text) return;
      addTask(tasks, text);
      newTask.value = '';
    }),
  );
  cleanup.add(
    listen(newTask, 'keydown', (event) => {
      if (event.key !== 'ArrowDown' || event.altKey || !visible[0]) return;
      event.preventDefault();
      focusRow(visible[0].id, 'start');
    }),
  );
  cleanup.add(listen(clearDone, 'click', () => removeCompleted(tasks)));
  cleanup.add(options.store.subscribe(render));
  render();
  return { element, render, destroy: cleanup.run };
}
