import { expect, test } from 'vitest';
import * as Y from 'yjs';
import { addTask, moveTask, removeCompleted, setTaskDone, type TaskMap, tasksFromSnapshot } from './tasks-model.ts';

const texts = (tasks: TaskMap) => tasksFromSnapshot(tasks.toJSON()).map((task) => task.text);

test('adds at the end or after a task, and moves up and down', () => {
  const tasks = new Y.Doc().getMap('tasks') as TaskMap;
  const a = addTask(tasks, 'a');
  addTask(tasks, 'c');
  addTask(tasks, 'b', a);
  expect(texts(tasks)).toEqual(['a', 'b', 'c']);
  const sorted = () => tasksFromSnapshot(tasks.toJSON());
  expect(moveTask(tasks, sorted(), a, 1)).toBe(true);
  expect(texts(tasks)).toEqual(['b', 'a', 'c']);
  expect(moveTask(tasks, sorted(), a, 1)).toBe(true);
  expect(texts(tasks)).toEqual(['b', 'c', 'a']);
  expect(moveTask(tasks, sorted(), a, 1)).toBe(false);
  expect(moveTask(tasks, sorted(), a, -1)).toBe(true);
  expect(texts(tasks)).toEqual(['b', 'a', 'c']);
});

test('a move and a concurrent text edit of the same task both survive', () => {
  const left = new Y.Doc();
  const right = new Y.Doc();
  const leftTasks = left.getMap('tasks') as TaskMap;
  const first = addTask(leftTasks, 'first');
  addTask(leftTasks, 'second');
  Y.applyUpdate(right, Y.encodeStateAsUpdate(left));
  const rightTasks = right.getMap('tasks') as TaskMap;
  moveTask(leftTasks, tasksFromSnapshot(leftTasks.toJSON()), first, 1);
  rightTasks.get(first)?.set('text', 'first, edited');
  Y.applyUpdate(left, Y.encodeStateAsUpdate(right));
  Y.applyUpdate(right, Y.encodeStateAsUpdate(left));
  expect(texts(leftTasks)).toEqual(['second', 'first, edited']);
  expect(texts(rightTasks)).toEqual(texts(leftTasks));
});

test('clears completed tasks in one transaction', () => {
  const doc = new Y.Doc();
  const tasks = doc.getMap('tasks') as TaskMap;
  const done = addTask(tasks, 'done');
  addTask(tasks, 'open');
  setTaskDone(tasks, done, true);
  let transactions = 0;
  doc.on('afterTransaction', () => {
    transactions += 1;
  });
  expect(removeCompleted(tasks)).toBe(1);
  expect(transactions).toBe(1);
  expect(texts(tasks)).toEqual(['open']);
});
