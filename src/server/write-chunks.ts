import type { ServerResponse } from 'node:http';

/** How long a streamed answer waits for a client that takes no data before cutting it (ms). */
const SEND_STALL_MS = 60_000;

/** A client that stopped taking data for too long; the connection is cut. */
class StalledClientError extends Error {}

/**
 * Writes `chunks` to `res` and ends it. A chunk is written only once the previous one has been
 * handed to the kernel, and the next is asked for only then: a slow client holds a chunk or two
 * here, never the whole answer, and the producer may reuse a chunk's memory for the one after
 * next (see StreamedBody). When the client goes away it stops asking. `onSent` hears of each
 * chunk handed to the socket. Throws when the producer fails or the client takes nothing for
 * `stallMs`: the headers are gone by then, so the caller must cut the connection (a truncated
 * chunked answer, never a hang).
 */
export async function writeChunks(
  res: ServerResponse,
  chunks: AsyncIterable<Buffer>,
  onSent: (bytes: number) => void,
  stallMs: number = SEND_STALL_MS,
): Promise<void> {
  let gone = res.destroyed;
  let written = true; // the last chunk written has been flushed
  let wake: (() => void) | undefined;
  const onClose = () => {
    gone = true;
    wake?.();
  };
  res.on('close', onClose);
  let stall: NodeJS.Timeout | undefined;
  // Resolves once the last chunk is flushed or the client is gone; rejects after `stallMs`.
  const flushed = (): Promise<void> => {
    if (written || gone) return Promise.resolve();
    return new Promise((resolve, reject) => {
      stall = setTimeout(() => reject(new StalledClientError(`client took no data for ${stallMs} ms`)), stallMs);
      wake = () => {
        if (!written && !gone) return;
        clearTimeout(stall);
        wake = undefined;
        resolve();
      };
    });
  };
  try {
    for await (const chunk of chunks) {
      await flushed();
      if (gone) break; // leaving the loop stops the producer
      onSent(chunk.length);
      written = false;
      res.write(chunk, () => {
        written = true;
        wake?.();
      });
    }
    await flushed();
    if (!gone) res.end();
  } finally {
    clearTimeout(stall);
    res.off('close', onClose);
  }
}
