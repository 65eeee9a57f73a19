import type { SyncedStorage } from '@weft/client';

/** Accent colours a board can pick; the first is the default. */
export const ACCENTS = [
  { name: 'Indigo', value: '#4f46e5' },
  { name: 'Teal', value: '#0d9488' },
  { name: 'Rose', value: '#e11d48' },
  { name: 'Amber', value: '#d97706' },
  { name: 'Slate', value: '#475569' },
] as const;

/** The board's shared settings, read from synced storage with defaults for anything unset or odd. */
export interface BoardSettings {
  title: string;
  accent: string;
  hideCompleted: boolean;
}

export function readBoardSettings(storage: SyncedStorage, room: string): BoardSettings {
  const title = storage.getItem('title');
  const accent = storage.getItem('accent');
  return {
    title: typeof title === 'string' && title.trim() ? title : `#${room}`,
    accent: ACCENTS.some((option) => option.value === accent) ? (accent as string) : ACCENTS[0].value,
    hideCompleted: storage.getItem('hideCompleted') === true,
  };
}
