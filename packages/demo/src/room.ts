/** The room everyone lands in when the URL names none. */
export const DEFAULT_ROOM = 'welcome';

/**
 * Documents live under `board/` so a room name can never look like one of the app's files, and
 * other apps on the same server keep their own names.
 */
export const docNameForRoom = (room: string) => `board/${room}`;

/** Lower-case letters, digits, `-` and `_`, at most 64: safe in a URL, a document name and a title. */
export function normalizeRoom(raw: string): string {
  return raw
    .trim()
    .toLowerCase()
    .replace(/[^a-z0-9_-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 64);
}

/** The room named by `#room`, or `?room=` when there is no hash. */
export function roomFromLocation(location: Pick<Location, 'hash' | 'search'>): string {
  const fromHash = normalizeRoom(decodeURIComponentSafe(location.hash.replace(/^#\/?/, '')));
  if (fromHash) return fromHash;
  const fromQuery = normalizeRoom(new URLSearchParams(location.search).get('room') ?? '');
  return fromQuery || DEFAULT_ROOM;
}

function decodeURIComponentSafe(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
