/**
 * Text as the fuzz tests compare it across replicas. Yjs replaces a surrogate pair with two U+FFFD
 * on a replica that splits a string item between its halves (ContentString.splice), and no update
 * says so. Hostile structure can make one replica split where another does not
 * (server-input-fuzz SEED=1053291669: an emoji on one side, U+FFFD U+FFFD on the other, same state
 * vector), so every astral character is compared as its two replacement units.
 */
export function comparableText(text: string): string {
  return text.replace(/[\uD800-\uDBFF][\uDC00-\uDFFF]|[\uD800-\uDFFF]/g, (units) => '\uFFFD'.repeat(units.length));
}
