/**
 * Redirect targets the gateway builds from what a client sent (`?next=`, the page a `?lang=` link
 * came from) must stay on this gateway. Browsers read `//host`, `/\host` and `/\t/host` (they drop
 * tabs and newlines) as another site, so only a plain path passes: one leading `/`, no second `/`
 * after it, no backslash, no control character, and the same once percent-decoded.
 */

// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what this finds
const CONTROL = /[\u0000-\u001f\u007f]/;

export function hasControlChars(value: string): boolean {
  return CONTROL.test(value);
}

function plainPath(p: string): boolean {
  return p.startsWith('/') && p[1] !== '/' && !p.includes('\\') && !CONTROL.test(p);
}

/** True when `target` can only mean a path on this origin. */
export function isLocalPath(target: string): boolean {
  if (!plainPath(target)) return false;
  let decoded: string;
  try {
    decoded = decodeURIComponent(target);
  } catch {
    return false;
  }
  return plainPath(decoded);
}
