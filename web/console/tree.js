// The coordinate tree of one phext from its `toc`: library.shelf.series → collection.volume.book
// → chapter.section.scroll, each level a <details> that keeps its open state across updates.

import { el } from './dom.js';

/** `* 1.1.1/1.1.1/1.1.2: summary` lines → [{coord, summary}]. */
export function parseToc(text) {
  const scrolls = [];
  for (const line of text.split('\n')) {
    const m = /^\* ([0-9./]+): ?(.*)$/.exec(line);
    if (m) scrolls.push({ coord: m[1], summary: m[2] });
  }
  return scrolls;
}

const LEVELS = [
  ['library', 'shelf', 'series'],
  ['collection', 'volume', 'book'],
];
const label = (triple, names) =>
  triple
    .split('.')
    .map((n, i) => `${names[i]} ${n}`)
    .join(' · ');

/**
 * Renders `scrolls` into `root`; `open` is the set of branch keys the user has open (kept and
 * updated here), `current` the open scroll's coordinate, `onOpen(coord)` opens one.
 */
export function renderTree(root, scrolls, { open, current, onOpen }) {
  const groups = new Map();
  for (const s of scrolls) {
    const [a, b, c] = s.coord.split('/');
    if (!groups.has(a)) groups.set(a, new Map());
    const books = groups.get(a);
    if (!books.has(b)) books.set(b, []);
    books.get(b).push({ ...s, leaf: c });
  }
  const branch = (key, text, count, children) => {
    const details = el(
      'details',
      { open: open.has(key) || undefined, ontoggle: (e) => (e.target.open ? open.add(key) : open.delete(key)) },
      el('summary', {}, `${text} `, el('span', { class: 'muted' }, `(${count})`)),
      children,
    );
    return details;
  };
  const nodes = [];
  for (const [a, books] of groups) {
    const inner = [];
    let total = 0;
    for (const [b, leaves] of books) {
      total += leaves.length;
      const items = leaves.map((s) =>
        el(
          'li',
          {},
          el(
            'button',
            {
              type: 'button',
              title: s.coord,
              'aria-current': s.coord === current ? 'true' : undefined,
              dataset: { coord: s.coord },
              onclick: () => onOpen(s.coord),
            },
            `scroll ${s.leaf.split('.').join('.')} `,
            el('span', { class: 'summary' }, s.summary ? `— ${s.summary}` : '(empty)'),
          ),
        ),
      );
      inner.push(branch(`${a}/${b}`, label(b, LEVELS[1]), leaves.length, el('ul', { class: 'plain' }, ...items)));
    }
    nodes.push(branch(a, label(a, LEVELS[0]), total, el('div', {}, ...inner)));
  }
  if (nodes.length === 0) nodes.push(el('p', { class: 'muted' }, 'No scrolls yet.'));
  root.replaceChildren(...nodes);
}
