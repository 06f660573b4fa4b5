import { closeSync, fsyncSync, ftruncateSync, openSync, readdirSync, readFileSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../store/index.js';
import type { Stamp } from './hlc.js';

/**
 * A scroll's stamp, with the checksum of the text it stamped (`d`: a deletion, a tombstone) and
 * the stamp of the value it replaced where it was written (`p`): a value whose writer had not
 * seen the one it displaces was written concurrently with it, a conflict.
 */
export interface ScrollStamp extends Stamp {
  readonly s: string;
  readonly d?: 1;
  readonly p?: Stamp | undefined;
}

/** The sidecar of phext `name` (`''` is the original's `.phext`): `.<name>.phext.mesh`. */
const sidecarName = (name: string): string => `.${name === '' ? '' : name + '.'}phext.mesh`;
const SIDECAR = /^\.(?:(.+)\.)?phext\.mesh$/;

/**
 * The per-scroll clocks of a data directory's phexts: in memory, and in an append-only sidecar
 * per phext, one JSON line `{c, t, k, n, s, d?}` per stamped scroll, fsync'd after each commit's
 * lines. A later line for a scroll wins. A stamp counts only while its checksum matches the
 * scroll's text: one lost in a crash (the commit was durable, its stamp line not yet) or made
 * stale by another program's edit is simply missing, and the scroll is stamped afresh when next
 * served. A torn last line is cut off on load; a sidecar mostly of superseded lines is rewritten
 * (atomically), on load or once its appends make it so.
 */
export class StampBook {
  private readonly docs = new Map<string, Map<string, ScrollStamp>>();
  private readonly proposals = new Map<string, Map<string, ScrollStamp>>();
  /** Lines in each sidecar, to know when most of them are superseded. */
  private readonly lines = new Map<string, number>();
  private readonly pending = new Map<string, string[]>();
  private readonly handles = new Map<string, Promise<FileHandle>>();
  private flushing = new Map<string, Promise<void>>();
  private closed = false;

  constructor(private readonly dir: string) {}

  /** Reads every sidecar of the directory (one owner per directory: nothing else writes them). */
  async load(): Promise<void> {
    for (const file of readdirSync(this.dir)) {
      const m = SIDECAR.exec(file);
      if (!m) continue;
      const name = m[1] ?? '';
      const path = join(this.dir, file);
      let text = readFileSync(path, 'utf8');
      const end = text.lastIndexOf('\n') + 1;
      if (end < text.length) {
        // A line torn by a crash mid-append: never fsync'd, so never relied on.
        const fd = openSync(path, 'r+');
        ftruncateSync(fd, Buffer.byteLength(text.slice(0, end)));
        fsyncSync(fd);
        closeSync(fd);
        text = text.slice(0, end);
      }
      const map = new Map<string, ScrollStamp>();
      let lines = 0;
      for (const line of text.split('\n')) {
        if (line === '') continue;
        lines++;
        const { c, ...stamp } = JSON.parse(line) as ScrollStamp & { c: string };
        map.set(c, stamp);
      }
      this.docs.set(name, map);
      this.lines.set(name, lines);
      if (lines > 2 * map.size + 1024) await this.rewrite(name);
    }
  }

  /** The stamp recorded for scroll `c` of phext `name`, whatever text it stamped. */
  get(name: string, c: string): ScrollStamp | undefined {
    return this.docs.get(name)?.get(c);
  }

  /** The stamp of scroll `c` if it stamped the text whose checksum is `sum`. */
  valid(name: string, c: string, sum: string): ScrollStamp | undefined {
    const stamp = this.get(name, c);
    return stamp?.s === sum ? stamp : undefined;
  }

  /** Every stamp of phext `name` (tombstones included). */
  all(name: string): ReadonlyMap<string, ScrollStamp> {
    return this.docs.get(name) ?? new Map();
  }

  /**
   * A remote value's stamp while its mutation runs: kept apart from the committed stamps until
   * the commit's observer settles it, so that nothing served meanwhile (the scroll's previous
   * text) is judged by it.
   */
  propose(name: string, c: string, stamp: ScrollStamp): void {
    let map = this.proposals.get(name);
    if (!map) this.proposals.set(name, (map = new Map()));
    map.set(c, stamp);
  }

  /** The proposed stamp of scroll `c` if it stamped the text whose checksum is `sum`. */
  proposed(name: string, c: string, sum: string): ScrollStamp | undefined {
    const stamp = this.proposals.get(name)?.get(c);
    return stamp?.s === sum ? stamp : undefined;
  }

  /** Removes and returns the proposed stamp of scroll `c` (its commit is being observed). */
  settle(name: string, c: string): ScrollStamp | undefined {
    const map = this.proposals.get(name);
    const stamp = map?.get(c);
    if (stamp) map!.delete(c);
    return stamp;
  }

  /** Records a stamp and queues its line for the sidecar. */
  keep(name: string, c: string, stamp: ScrollStamp): void {
    let map = this.docs.get(name);
    if (!map) this.docs.set(name, (map = new Map()));
    map.set(c, stamp);
    let lines = this.pending.get(name);
    if (!lines) this.pending.set(name, (lines = []));
    lines.push(lineOf(c, stamp));
    if (!this.flushing.has(name)) {
      const run = this.flush(name).finally(() => this.flushing.delete(name));
      this.flushing.set(name, run);
    }
  }

  /** Appends what is queued for `name`, fsyncs, and goes on while more was queued meanwhile. */
  private async flush(name: string): Promise<void> {
    await Promise.resolve();
    for (;;) {
      const lines = this.pending.get(name);
      if (!lines || lines.length === 0 || this.closed) return;
      this.pending.delete(name);
      try {
        let handle = this.handles.get(name);
        if (!handle) this.handles.set(name, (handle = open(join(this.dir, sidecarName(name)), 'a')));
        const fh = await handle;
        await fh.write(lines.join(''));
        await fh.datasync();
        const count = (this.lines.get(name) ?? 0) + lines.length;
        this.lines.set(name, count);
        if (count > 2 * (this.docs.get(name)?.size ?? 0) + 1024) {
          this.handles.delete(name);
          await fh.close();
          await this.rewrite(name);
        }
      } catch (e) {
        // A stamp not kept is only missing: the scroll is stamped afresh when next served.
        process.emitWarning(`mesh: cannot write the stamps of ${name}: ${String((e as Error).message)}`);
      }
    }
  }

  /** Replaces the sidecar of `name` with one line per stamp (atomically: a crash leaves the old one or the new). */
  private async rewrite(name: string): Promise<void> {
    const map = this.docs.get(name) ?? new Map<string, ScrollStamp>();
    await writeFileAtomic(join(this.dir, sidecarName(name)), [...map].map(([c, s]) => lineOf(c, s)).join(''));
    this.lines.set(name, map.size);
  }

  /** Waits for the queued lines, then closes the sidecars. */
  async close(): Promise<void> {
    await Promise.all([...this.flushing.values()]);
    this.closed = true;
    for (const handle of this.handles.values()) await (await handle).close().catch(() => undefined);
    this.handles.clear();
  }
}

function lineOf(c: string, stamp: ScrollStamp): string {
  const prev = stamp.p && { t: stamp.p.t, k: stamp.p.k, n: stamp.p.n };
  return (
    JSON.stringify({ c, t: stamp.t, k: stamp.k, n: stamp.n, s: stamp.s, ...(stamp.d ? { d: 1 } : {}), ...(prev ? { p: prev } : {}) }) + '\n'
  );
}
