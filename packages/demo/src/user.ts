/** Who this person is on this device: shown to others through presence. */
export interface LocalUser {
  name: string;
  color: string;
}

/** Colours that stay readable with white initials on them. */
export const USER_COLORS = ['#e11d48', '#ea580c', '#ca8a04', '#16a34a', '#0891b2', '#2563eb', '#7c3aed', '#c026d3'];

const ADJECTIVES = ['Brave', 'Calm', 'Clever', 'Swift', 'Gentle', 'Bright', 'Quiet', 'Lucky', 'Bold', 'Kind'];
const ANIMALS = ['Otter', 'Fox', 'Heron', 'Lynx', 'Panda', 'Robin', 'Badger', 'Koala', 'Falcon', 'Seal'];

const STORAGE_KEY = 'weft-demo:user';

const pick = <T>(items: readonly T[]): T => items[Math.floor(Math.random() * items.length)] as T;

function isLocalUser(value: unknown): value is LocalUser {
  const user = value as Partial<LocalUser> | null;
  return typeof user?.name === 'string' && typeof user.color === 'string' && user.name.trim() !== '';
}

/** The stored user of this browser, or a new friendly random one (stored for next time). */
export function loadLocalUser(storage: Storage): LocalUser {
  try {
    const stored: unknown = JSON.parse(storage.getItem(STORAGE_KEY) ?? 'null');
    if (isLocalUser(stored)) return stored;
  } catch {
    // A damaged entry is replaced below.
  }
  const user = { name: `${pick(ADJECTIVES)} ${pick(ANIMALS)}`, color: pick(USER_COLORS) };
  saveLocalUser(storage, user);
  return user;
}

export function saveLocalUser(storage: Storage, user: LocalUser): void {
  try {
    storage.setItem(STORAGE_KEY, JSON.stringify(user));
  } catch {
    // Private mode or a full quota: the name simply is not remembered.
  }
}

/** "Brave Otter" → "BO". */
export function initials(name: string): string {
  const letters = name
    .trim()
    .split(/\s+/)
    .map((word) => word[0] ?? '')
    .join('');
  return (letters.slice(0, 2) || '?').toUpperCase();
}
