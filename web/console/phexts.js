// Browse and edit: the tenant's phexts, one phext's tree and search, one open scroll. Every
// write carries If-Match with the version the scroll was read at, so a change made meanwhile is
// shown to the user instead of overwritten.

import { ApiError, path, versionOf } from './api.js';
import { byId, bytes, confirmDialog, download, el, say } from './dom.js';
import { parseToc, renderTree } from './tree.js';

const NAME = /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}$/;
/** Control pictures for the delimiters (U+2400 + the byte), so the raw view shows the structure. */
const DELIMITERS = /[\x01\x17-\x1f]/g;

export class Phexts {
  constructor(api) {
    this.api = api;
    this.p = undefined;
    this.scrolls = [];
    this.open = new Set();
    /** The open scroll: {coord, base, version, isNew}; base is its text as last read. */
    this.scroll = undefined;
    this.saving = false;
    this.heldEvents = [];
    this.timers = {};
    this.wire();
  }

  wire() {
    byId('new-phext').onsubmit = (e) => {
      e.preventDefault();
      const name = byId('new-phext-name').value.trim();
      if (!NAME.test(name)) return say('A phext name is 1-128 of A-Z a-z 0-9 . _ - and does not start with a dot.', true);
      byId('new-phext-name').value = '';
      this.openPhext(name).then(() => this.newScroll());
    };
    byId('search').onsubmit = (e) => {
      e.preventDefault();
      this.search(byId('search-text').value).catch(fail);
    };
    byId('new-scroll').onclick = () => this.newScroll();
    byId('show-raw').onclick = () => this.showRaw().catch(fail);
    byId('close-raw').onclick = () => (byId('raw').hidden = true);
    byId('download-phext').onclick = () => this.download('get', `${this.p}.phext`).catch(fail);
    byId('download-json').onclick = () => this.download('json-export', `${this.p}.json`).catch(fail);
    byId('scroll-form').onsubmit = (e) => {
      e.preventDefault();
      if (this.scroll?.isNew) this.insert().catch(fail);
      else this.save().catch(fail);
    };
    byId('insert').onclick = () => this.insert().catch(fail);
    byId('delete').onclick = () => this.remove().catch(fail);
    byId('close-scroll').onclick = () => this.closeScroll();
    byId('scroll-text').addEventListener('keydown', (e) => {
      if ((e.ctrlKey || e.metaKey) && e.key === 's') {
        e.preventDefault();
        byId('scroll-form').requestSubmit();
      }
    });
    byId('take-theirs').onclick = () => this.takeTheirs();
    byId('keep-mine').onclick = () => this.save(this.conflict?.version).catch(fail);
  }

  get dirty() {
    return this.scroll !== undefined && byId('scroll-text').value !== this.scroll.base;
  }

  async refreshList() {
    const listed = await this.api.json('/api/v2/list');
    const items = listed.map((entry) =>
      el(
        'li',
        {},
        el(
          'button',
          {
            type: 'button',
            'aria-current': entry.name === this.p ? 'true' : undefined,
            onclick: () => this.openPhext(entry.name).catch(fail),
          },
          entry.name,
          el(
            'span',
            { class: 'sub' },
            `${entry.scrolls} scroll${entry.scrolls === 1 ? '' : 's'} · ${bytes(entry.bytes)} · v${entry.version}`,
          ),
        ),
      ),
    );
    if (items.length === 0) items.push(el('li', { class: 'muted' }, 'No phexts yet: create one below.'));
    byId('phext-list').replaceChildren(...items);
  }

  async openPhext(p) {
    this.p = p;
    this.open.clear();
    this.closeScroll();
    byId('raw').hidden = true;
    byId('search-results').replaceChildren();
    byId('tree-title').textContent = `Scrolls of ${p}`;
    byId('phext-tools').hidden = false;
    await Promise.all([this.refreshTree(), this.refreshList()]);
  }

  async refreshTree() {
    if (this.p === undefined) return;
    const { text } = await this.api.text(path('toc', { p: this.p }));
    this.scrolls = parseToc(text);
    // A phext of one branch opens it, so its scrolls show at once.
    if (this.open.size === 0 && this.scrolls.length > 0) {
      const [a, b] = this.scrolls[0].coord.split('/');
      this.open.add(a).add(`${a}/${b}`);
    }
    renderTree(byId('tree'), this.scrolls, { open: this.open, current: this.scroll?.coord, onOpen: (c) => this.openScroll(c).catch(fail) });
  }

  async openScroll(coord) {
    if (this.dirty && !(await confirmDialog('Discard your unsaved changes to this scroll?', 'Discard'))) return;
    const { text, version } = await this.api.text(path('select', { p: this.p, c: coord }));
    this.show({ coord, base: text, version, isNew: false }, text);
    this.refreshTreeSelection();
    // On a phone the editor is below the tree.
    byId('editor').scrollIntoView({ block: 'nearest' });
  }

  show(scroll, text) {
    this.scroll = scroll;
    this.conflict = undefined;
    byId('editor').hidden = false;
    byId('editor-title').textContent = scroll.isNew ? `New scroll in ${this.p}` : `Scroll of ${this.p}`;
    const coord = byId('coord');
    coord.value = scroll.coord;
    coord.readOnly = !scroll.isNew;
    byId('scroll-text').value = text;
    byId('save').hidden = scroll.isNew;
    byId('delete').hidden = scroll.isNew;
    byId('insert').hidden = !scroll.isNew;
    byId('conflict').hidden = true;
    this.note();
  }

  note(text) {
    const note = byId('scroll-note');
    note.hidden = !text;
    note.textContent = text ?? '';
  }

  closeScroll() {
    this.scroll = undefined;
    byId('editor').hidden = true;
    this.refreshTreeSelection();
  }

  refreshTreeSelection() {
    for (const b of byId('tree').querySelectorAll('button[data-coord]')) {
      if (b.dataset.coord === this.scroll?.coord) b.setAttribute('aria-current', 'true');
      else b.removeAttribute('aria-current');
    }
  }

  /** A free coordinate: the scroll after the last of the open book, or the phext's first. */
  suggestCoordinate() {
    const last = this.scrolls.at(-1)?.coord;
    if (!last) return '1.1.1/1.1.1/1.1.1';
    const parts = last.split('/');
    const leaf = parts[2].split('.').map(Number);
    leaf[2] += 1;
    return `${parts[0]}/${parts[1]}/${leaf.join('.')}`;
  }

  newScroll() {
    this.show({ coord: this.suggestCoordinate(), base: '', version: undefined, isNew: true }, '');
    byId('coord').focus();
  }

  /** Saves the editor's text over the scroll, if it is still as it was read (If-Match). */
  async save(version = this.scroll.version) {
    const { coord } = this.scroll;
    const text = byId('scroll-text').value;
    this.saving = true;
    try {
      const res = await this.api.write('update', this.p, coord, text, version);
      if (res.status === 412) return this.clash(text);
      if (!res.ok) throw new ApiError(res.status, await res.text());
      this.scroll = { ...this.scroll, base: text, version: versionOf(res) };
      byId('conflict').hidden = true;
      this.note();
      say(`Saved ${coord} (version ${this.scroll.version}).`);
    } finally {
      this.afterWrite();
    }
  }

  /**
   * A write was refused because the phext moved on. When this scroll is as it was read, the
   * change was elsewhere in the phext and the save is made again on the new version; otherwise
   * the other text is shown and the user chooses.
   */
  async clash(mine) {
    const { text: theirs, version } = await this.api.text(path('select', { p: this.p, c: this.scroll.coord }));
    if (theirs === this.scroll.base) {
      this.scroll = { ...this.scroll, version };
      this.saving = false;
      return this.save(version);
    }
    this.conflict = { text: theirs, version };
    byId('conflict-version').textContent = String(version);
    byId('conflict-text').textContent = theirs === '' ? '(deleted)' : theirs;
    byId('conflict').hidden = false;
    byId('scroll-text').value = mine;
    say('Not saved: the scroll was changed by someone else meanwhile.', true);
    byId('conflict-title').scrollIntoView({ block: 'nearest' });
  }

  takeTheirs() {
    const { text, version } = this.conflict;
    this.show({ ...this.scroll, base: text, version }, text);
    say('Their text is in the editor now.');
  }

  async insert() {
    const coord = byId('coord').value.trim();
    const text = byId('scroll-text').value;
    for (let attempt = 0; attempt < 3; attempt++) {
      const { text: there, version } = await this.api.text(path('select', { p: this.p, c: coord }));
      if (there !== '') return say(`${coord} already holds a scroll: open it from the tree to edit it.`, true);
      const res = await this.api.write('insert', this.p, coord, text, version);
      if (res.status === 412) continue;
      if (!res.ok) throw new ApiError(res.status, await res.text());
      say(`Inserted ${coord}.`);
      // Written: nothing of it is left to discard when it opens as a scroll.
      this.scroll = { ...this.scroll, base: text };
      await Promise.all([this.refreshTree(), this.refreshList()]);
      return this.openScroll(coord);
    }
    say('The phext keeps changing: try again.', true);
  }

  async remove() {
    const { coord, version } = this.scroll;
    if (!(await confirmDialog(`Delete the scroll at ${coord} of ${this.p}?`, 'Delete'))) return;
    const res = await this.api.fetch(path('delete', { p: this.p, c: coord }), { method: 'POST', headers: { 'If-Match': `"${version}"` } });
    if (res.status === 412) {
      const { text: theirs } = await this.api.text(path('select', { p: this.p, c: coord }));
      if (theirs !== this.scroll.base) return this.clash(byId('scroll-text').value);
      this.scroll = { ...this.scroll, version: undefined };
      return this.remove();
    }
    if (!res.ok) throw new ApiError(res.status, await res.text());
    say(`Deleted ${coord}.`);
    this.closeScroll();
    await Promise.all([this.refreshTree(), this.refreshList()]);
  }

  async search(query) {
    const needle = query.trim().toLowerCase();
    const results = byId('search-results');
    if (!needle) return results.replaceChildren();
    const all = await this.api.json(path('json-export', { p: this.p }));
    const hits = all.filter((s) => s.scroll.toLowerCase().includes(needle));
    const items = hits.slice(0, 200).map((s) => {
      const at = s.scroll.toLowerCase().indexOf(needle);
      const snippet = s.scroll.slice(Math.max(0, at - 30), at + needle.length + 30).replace(/\s+/g, ' ');
      return el(
        'li',
        {},
        el(
          'button',
          { type: 'button', onclick: () => this.openScroll(s.coord).catch(fail) },
          s.coord,
          el('span', { class: 'sub' }, snippet),
        ),
      );
    });
    results.replaceChildren(el('li', { class: 'muted' }, `${hits.length} scroll${hits.length === 1 ? '' : 's'} match`), ...items);
  }

  async showRaw() {
    const { text } = await this.api.text(path('get', { p: this.p }));
    byId('raw-text').textContent = text.replace(DELIMITERS, (d) => `${String.fromCharCode(0x2400 + d.charCodeAt(0))}\n`);
    byId('raw').hidden = false;
    byId('raw-title').scrollIntoView({ block: 'nearest' });
  }

  async download(command, name) {
    const res = await this.api.ok(path(command, { p: this.p }));
    download(await res.blob(), name);
  }

  /** A change from the feed: the list, the tree and the open scroll follow it. */
  onEvent({ event, data }) {
    if (event === 'reopened' || event === 'reset' || event === 'overflow') {
      this.later('list', () => this.refreshList());
      if (data?.p === this.p || !data?.p) {
        this.later('tree', () => this.refreshTree());
        if (this.scroll && !this.scroll.isNew) this.scrollChanged(data?.version ?? 0);
      }
      return;
    }
    if (event !== 'change') return;
    this.later('list', () => this.refreshList());
    if (data.p !== this.p) return;
    this.later('tree', () => this.refreshTree());
    if (this.scroll && !this.scroll.isNew && data.coord === this.scroll.coord) {
      // Our own save, heard back after its answer: the editor holds it already.
      if (data.version <= (this.scroll.version ?? 0)) return;
      if (this.saving) this.heldEvents.push(data);
      else this.scrollChanged(data.version);
    }
  }

  afterWrite() {
    this.saving = false;
    const held = this.heldEvents;
    this.heldEvents = [];
    for (const data of held) if (this.scroll && data.version > (this.scroll.version ?? 0)) this.scrollChanged(data.version);
  }

  /** The open scroll changed on the server: shown at once unless the user is editing it. */
  scrollChanged(version) {
    if (this.dirty) {
      this.note(`Changed on the server meanwhile (version ${version}): saving will show you their text first.`);
      return;
    }
    this.api
      .text(path('select', { p: this.p, c: this.scroll.coord }))
      .then(({ text, version: read }) => {
        if (!this.scroll || this.dirty) return;
        this.scroll = { ...this.scroll, base: text, version: read };
        byId('scroll-text').value = text;
        this.note(`Updated from the server (version ${read}).`);
      })
      .catch(fail);
  }

  /** Runs `fn` once after a burst of events (one reload for many changes). */
  later(key, fn) {
    clearTimeout(this.timers[key]);
    this.timers[key] = setTimeout(() => fn().catch(fail), 150);
  }
}

function fail(e) {
  say(e instanceof ApiError ? `${e.status}: ${e.message}` : String(e.message ?? e), true);
}
