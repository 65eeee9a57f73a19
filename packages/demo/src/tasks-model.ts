import * as Y from 'yjs';

/** One task as the views see it. */
export interface Task {
  id: string;
  text: string;
  done: boolean;
  order: number;
}

/**
 * Tasks live in a Y.Map keyed by id; each is a Y.Map with `text`, `done` and a fractional
 * `order`. Moving a task writes one number, so a concurrent edit of its text is never lost (a
 * delete + re-insert in a Y.Array would drop it), and two people reordering still converge.
 */
export type TaskMap = Y.Map<Y.Map<unknown>>;

export const newTaskId = (): string =>
  globalThis.crypto?.randomUUID?.() ?? `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;

/** Turns a store snapshot of the task map into tasks sorted by order (ties by id, so all agree). */
export function tasksFromSnapshot(snapshot: unknown): Task[] {
  if (typeof snapshot !== 'object' || snapshot === null) return [];
  const tasks: Task[] = [];
  for (const [id, value] of Object.entries(snapshot as Record<string, unknown>)) {
    if (typeof value !== 'object' || value === null) continue;
    const fields = value as Record<string, unknown>;
    tasks.push({
      id,
      text: typeof fields.text === 'string' ? fields.text : '',
      done: fields.done === true,
      order: typeof fields.order === 'number' && Number.isFinite(fields.order) ? fields.order : 0,
    });
  }
  return tasks.sort((a, b) => a.order - b.order || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/** A number strictly between two neighbours' orders (either may be missing at the ends). */
export function orderBetween(before: number | undefined, after: number | undefined): number {
  if (before === undefined && after === undefined) return 1;
  if (before === undefined) return (after as number) - 1;
  if (after === undefined) return before + 1;
  return (before + after) / 2;
}

/** Adds a task after `afterId` (or at the end) and returns its id. */
export function addTask(tasks: TaskMap, text: string, afterId?: string): string {
  const sorted = tasksFromSnapshot(tasks.toJSON());
  const index = afterId === undefined ? sorted.length - 1 : sorted.findIndex((task) => task.id === afterId);
  const order = orderBetween(sorted[index]?.order, sorted[index + 1]?.order);
  const id = newTaskId();
  const task = new Y.Map<unknown>();
  task.set('text', text);
  task.set('done', false);
  task.set('order', order);
  tasks.set(id, task);
  return id;
}

export function setTaskText(tasks: TaskMap, id: string, text: string): void {
  const task = tasks.get(id);
  if (task && task.get('text') !== text) task.set('text', text);
}

export function setTaskDone(tasks: TaskMap, id: string, done: boolean): void {
  tasks.get(id)?.set('done', done);
}

export function removeTask(tasks: TaskMap, id: string): void {
  tasks.delete(id);
}

/** Moves a task one place up (-1) or down (+1) among `visible` tasks; false at either end. */
export function moveTask(tasks: TaskMap, visible: readonly Task[], id: string, direction: -1 | 1): boolean {
  const index = visible.findIndex((task) => task.id === id);
  const neighbour = visible[index + direction];
  if (index < 0 || !neighbour) return false;
  const beyond = visible[index + 2 * direction];
  const order =
    direction < 0 ? orderBetween(beyond?.order, neighbour.order) : orderBetween(neighbour.order, beyond?.order);
  tasks.get(id)?.set('order', order);
  return true;
}

export function removeCompleted(tasks: TaskMap): number {
  const done = [...tasks.entries()].filter(([, task]) => task.get('done') === true).map(([id]) => id);
  const remove = () => {
    for (const id of done) tasks.delete(id);
  };
  if (tasks.doc) tasks.doc.transact(remove);
  else remove();
  return done.length;
}
