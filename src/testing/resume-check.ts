/**
 * The change feed's promise, checked end to end over HTTP: writers change a phext while one
 * consumer reads its changes a few at a time, hanging up and resuming from its Last-Event-ID each
 * time, and another never leaves. Both must see every change once, in version order, and the
 * resuming one's changes must rebuild the writers' final state.
 */
import assert from 'node:assert/strict';
import { openSse, type ChangeData, type SseEvent, type SseStream } from './sse-client.js';
import { api } from './sq-api.js';

export interface ResumeCheck {
  readonly port: number;
  readonly key: string;
  readonly p: string;
  /** Concurrent writers, and the writes each makes. */
  readonly workers: number;
  readonly perWorker: number;
  /** The resuming consumer takes 1 to this many changes before it hangs up. */
  readonly maxTake: number;
}

const changes = (events: readonly SseEvent[]): ChangeData[] =>
  events.filter((e) => e.event === 'change').map((e) => JSON.parse(e.data) as ChangeData);

/** A small seeded generator, so that a failing run can be told apart from another (its seed is in every message). */
function random(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 2 ** 32;
  };
}

export async function checkResumes(check: ResumeCheck): Promise<void> {
  const { port, key, p } = check;
  const seed = Date.now();
  const rnd = random(seed);
  const why = `seed ${seed}`;
  const open: SseStream[] = [];
  const watch = async (query: string, headers: Record<string, string> = {}) => {
    const s = await openSse(port, `/api/v2/watch?p=${p}${query}`, { Authorization: `Bearer ${key}`, ...headers });
    open.push(s);
    assert.equal(s.status, 200, s.body);
    return s;
  };
  try {
    const model = new Map<string, string>();
    // A consumer that never leaves sees every version once: it subscribes before the first write.
    const steady = await watch('');
    // Each writer owns its scrolls, so the final state does not depend on how their writes interleave.
    const writers = Array.from({ length: check.workers }, async (_, w) => {
      const versions: number[] = [];
      for (let i = 0; i < check.perWorker; i++) {
        const c = `${w + 1}.1.1/1.1.1/1.1.${1 + Math.floor(rnd() * 8)}`;
        const text = model.get(c) && rnd() < 0.2 ? '' : `w${w} write ${i} ${'x'.repeat(Math.floor(rnd() * 50))}`;
        const reply = text === '' ? await api(port, key, 'delete', { p, c }) : await api(port, key, 'update', { p, c }, { body: text });
        assert.equal(reply.status, 200, reply.text);
        versions.push(Number(JSON.parse(String(reply.headers.etag))));
        if (text === '') model.delete(c);
        else model.set(c, text);
      }
      return versions;
    });
    let final = -1;
    const writing = Promise.all(writers).then((versions) => {
      final = Math.max(...versions.flat());
    });

    const seen: ChangeData[] = [];
    let lastId: string | undefined;
    for (let round = 0; !(final >= 0 && lastId === String(final)); round++) {
      const s = await watch('&text=1', lastId === undefined ? {} : { 'Last-Event-ID': lastId });
      const take = 1 + Math.floor(rnd() * check.maxTake);
      const caughtUp = () => final >= 0 && (s.lastId ?? lastId) === String(final);
      await s.until((e) => changes(e).length >= take || caughtUp(), `${why}, round ${round}`);
      assert.ok(!s.events.some((e) => e.event === 'reset'), `${why}: no reset while the log holds everything`);
      seen.push(...changes(s.events));
      lastId = s.lastId ?? lastId;
      s.close();
    }
    await writing;
    const versions = seen.map((c) => c.version);
    for (let i = 1; i < versions.length; i++) assert.ok(versions[i]! > versions[i - 1]!, `${why}: ${versions[i - 1]} then ${versions[i]}`);
    const state = new Map<string, string>();
    for (const c of seen) {
      if (c.kind === 'delete') state.delete(c.coord);
      else state.set(c.coord, c.text!);
    }
    assert.deepEqual(new Map([...state].sort()), new Map([...model].sort()), why);

    await steady.until((e) => changes(e).at(-1)?.version === final, 'the steady consumer', 60_000);
    assert.deepEqual(
      changes(steady.events).map((c) => c.version),
      Array.from({ length: final }, (_, i) => i + 1),
    );
  } finally {
    for (const s of open) s.close();
  }
}
