import { WeftError } from './weft-error.ts';

/** Longest accepted document name, in UTF-16 code units. */
export const MAX_DOC_NAME_LENGTH = 256;

// An allowlist, not a blocklist: letters, digits and a few separators. Slashes separate segments
// (`team/board-1`), but no segment may be empty, "." or "..". Storage never uses the name as a
// path (it hashes it), so this is about clear errors and names that survive every URL and log.
const SEGMENT = /^[A-Za-z0-9_\-.~@:+=,]+$/;
// Windows device names (with or without an extension) open devices, not files, on that system.
// Weft's own storage hashes names, but other adapters, exports and backups may not.
const DEVICE_NAME = /^(con|prn|aux|nul|com[0-9]|lpt[0-9])(\..*)?$/i;

/**
 * Returns why `name` is not a valid document name, or `undefined` when it is valid.
 *
 * @example
 * docNameProblem('board/42') // undefined
 * docNameProblem('../etc')   // 'segment ".." is not allowed'
 */
export function docNameProblem(name: string): string | undefined {
  if (name.length === 0) return 'name is empty';
  if (name.length > MAX_DOC_NAME_LENGTH) return `name is longer than ${MAX_DOC_NAME_LENGTH} characters`;
  for (const segment of name.split('/')) {
    if (segment === '') return 'name has an empty segment (leading, trailing or double "/")';
    if (segment === '.' || segment === '..') return `segment "${segment}" is not allowed`;
    if (!SEGMENT.test(segment)) return 'name may contain only A-Z a-z 0-9 and _ - . ~ @ : + = , /';
    if (DEVICE_NAME.test(segment)) return `segment "${segment}" is a reserved device name`;
  }
  return undefined;
}

/** Throws a `WeftError('invalid-document-name')` unless `name` is valid; returns it otherwise. */
export function assertDocName(name: string): string {
  const problem = docNameProblem(name);
  if (problem !== undefined) throw new WeftError('invalid-document-name', `invalid document name: ${problem}`);
  return name;
}

/**
 * Extracts the document name from a request URL path (`/base/<name>?query`).
 * Percent-decoding happens once; a name that does not decode is reported as invalid.
 */
export function docNameFromPath(path: string, basePath = '/'): string {
  const pathOnly = path.split('?', 1)[0] ?? '';
  const base = basePath.endsWith('/') ? basePath : `${basePath}/`;
  if (!pathOnly.startsWith(base)) throw new WeftError('invalid-document-name', `path must start with ${base}`);
  let name: string;
  try {
    name = decodeURIComponent(pathOnly.slice(base.length));
  } catch (cause) {
    throw new WeftError('invalid-document-name', 'invalid document name: bad percent-encoding', { cause });
  }
  return assertDocName(name);
}
