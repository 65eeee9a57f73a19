type Child = Node | string | null | undefined | false;
type Attributes = Record<string, string | number | boolean | undefined>;

/**
 * Creates an element with attributes and children: `h('button', { class: 'x', type: 'button' }, 'Go')`.
 * `true` sets an empty attribute, `false`/`undefined` leaves it out.
 */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attributes: Attributes = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === false) continue;
    element.setAttribute(name, value === true ? '' : String(value));
  }
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    element.append(child);
  }
  return element;
}

/** Adds a listener and returns the function that removes it. */
export function listen<K extends keyof HTMLElementEventMap>(
  target: HTMLElement | Document | Window,
  type: K,
  listener: (event: HTMLElementEventMap[K]) => void,
): () => void {
  target.addEventListener(type, listener as EventListener);
  return () => target.removeEventListener(type, listener as EventListener);
}

/** Runs every cleanup function once, newest first. */
export function createCleanup(): { add(cleanup: () => void): void; run(): void } {
  const cleanups: Array<() => void> = [];
  return {
    add: (cleanup) => {
      cleanups.push(cleanup);
    },
    run: () => {
      for (const cleanup of cleanups.splice(0).reverse()) cleanup();
    },
  };
}
