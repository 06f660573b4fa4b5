/**
 * JSON.parse keeps the last of two equal keys silently; in a tenants file that would drop a
 * tenant (two entries under one token). This scan finds the first repeated key in an object.
 * It expects text that JSON.parse has already accepted.
 */
export interface DuplicateKey {
  /** Keys of the enclosing objects, outermost first (array items appear as their index). */
  readonly path: readonly (string | number)[];
  readonly key: string;
}

interface Frame {
  readonly keys?: Set<string>; // undefined for arrays
  expectKey: boolean;
  index: number;
  /** The key (or array index) under which the next value of this frame lives. */
  current?: string | number;
}

export function findDuplicateKey(text: string): DuplicateKey | undefined {
  const stack: Frame[] = [];
  const pathOf = () => stack.slice(0, -1).map((f) => f.current as string | number);
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    const top = stack[stack.length - 1];
    if (ch === '"') {
      const end = stringEnd(text, i);
      if (top?.keys && top.expectKey) {
        const key = JSON.parse(text.slice(i, end + 1)) as string;
        if (top.keys.has(key)) return { path: pathOf(), key };
        top.keys.add(key);
        top.current = key;
        top.expectKey = false;
      }
      i = end;
    } else if (ch === '{' || ch === '[') {
      stack.push(ch === '{' ? { keys: new Set(), expectKey: true, index: 0 } : { expectKey: false, index: 0, current: 0 });
    } else if (ch === '}' || ch === ']') {
      stack.pop();
    } else if (ch === ',' && top) {
      if (top.keys) top.expectKey = true;
      else top.current = ++top.index;
    }
  }
  return undefined;
}

/** Index of the quote that closes the string opening at `start`. */
function stringEnd(text: string, start: number): number {
  for (let i = start + 1; i < text.length; i++) {
    if (text[i] === '\\') i++;
    else if (text[i] === '"') return i;
  }
  return text.length - 1;
}
