import { Coordinate, checksum } from '../phext/index.js';
import type { DocumentStore } from '../store/document-store.js';
import { compareStamps, type Stamp } from './hlc.js';
import { EMPTY_SUM, type Stamper } from './stamper.js';

/** A scroll as a peer sends it: its text ('' for a deletion) and the stamp it was written with. */
export interface RemoteScroll extends Stamp {
  readonly c: string;
  readonly text: string;
  /** The stamp of the value it replaced where it was written (see ScrollStamp). */
  readonly p?: Stamp | undefined;
}

/** Whether `loser` was unknown to the writer of the value that beat it: written concurrently, a conflict. */
const unseen = (loser: Stamp, winnerPrev: Stamp | undefined): boolean => winnerPrev === undefined || compareStamps(loser, winnerPrev) > 0;

/** What applying a peer's scrolls did. */
export interface Applied {
  /** Scrolls whose remote value won (their text or only their stamp changed). */
  readonly count: number;
  /** The origin times of those values, for the replication-lag histogram. */
  readonly origins: number[];
}

/**
 * Applies a peer's scrolls to phext `name` by last writer wins: a value replaces ours only when
 * its stamp is newer. It runs inside one mutation, so it is ordered with this node's own writes;
 * the winning stamps are proposed to the book before the commit (see Stamper.observe), so a value applied
 * here is sent on with its origin's stamp, and a node that sees its own value again finds an
 * equal stamp and does nothing: no echo. A value that loses to ours is reported as a conflict.
 */
export async function applyRemote(
  store: DocumentStore,
  stamper: Stamper,
  tenant: string,
  name: string,
  scrolls: readonly RemoteScroll[],
  conflict: (c: string, kept: string, dropped: string) => void,
): Promise<Applied> {
  if (scrolls.length === 0) return { count: 0, origins: [] };
  const { book, clock } = stamper;
  const origins: number[] = [];
  await store.mutate({ tenant, name }, (draft) => {
    origins.length = 0;
    for (const remote of scrolls) {
      const coordinate = Coordinate.parse(remote.c);
      const c = coordinate.toString();
      const current = draft.get(coordinate);
      const sum = current === '' ? EMPTY_SUM : checksum(current);
      // Ours: its stamp; none for an empty scroll never stamped; a text without a stamp (written
      // before the mesh, or its stamp lost) is stamped now, as a write of this node.
      const ours = book.proposed(name, c, sum) ?? book.valid(name, c, sum) ?? (current === '' ? undefined : stamper.stampOf(name, c, sum));
      const remoteSum = remote.text === '' ? EMPTY_SUM : checksum(remote.text);
      clock.observe(remote);
      if (ours && compareStamps(remote, ours) <= 0) {
        if (remoteSum !== sum && compareStamps(remote, ours) < 0 && unseen(remote, ours.p)) conflict(c, ours.n, remote.n);
        continue;
      }
      if (ours && remoteSum !== sum && unseen(ours, remote.p)) conflict(c, remote.n, ours.n);
      const p = remote.p && { t: remote.p.t, k: remote.p.k, n: remote.p.n };
      const stamp = {
        t: remote.t,
        k: remote.k,
        n: remote.n,
        s: remoteSum,
        ...(remote.text === '' ? { d: 1 as const } : {}),
        ...(p ? { p } : {}),
      };
      origins.push(remote.t);
      if (remote.text === current && !book.proposed(name, c, sum)) {
        book.keep(name, c, stamp); // the same text, a newer stamp: nothing to commit
        continue;
      }
      book.propose(name, c, stamp);
      draft.set(coordinate, remote.text);
    }
  });
  return { count: origins.length, origins };
}
