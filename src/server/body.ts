import type { IncomingMessage, ServerResponse } from 'node:http';
import { HttpError } from './http-error.js';

/**
 * The bytes of request bodies held in memory at once, across all connections (--max-inflight-body):
 * without it, many clients each sending a body just under --max-body could exhaust memory.
 */
export class BodyBudget {
  private held = 0;

  constructor(readonly limit: number) {}

  get bytesHeld(): number {
    return this.held;
  }

  /**
   * Reads the body of one request. Its bytes count against the budget from the moment they are
   * reserved (a declared Content-Length, up front) or arrive (chunked) until the answer is done
   * or the connection is gone, whichever comes first.
   */
  reader(req: IncomingMessage, res: ServerResponse, maxBytes: number): () => Promise<Buffer> {
    // One closure per request; the accounting is set up on the first read only, since most
    // requests (GET) never hold body bytes.
    return () => this.read(req, res, maxBytes);
  }

  private read(req: IncomingMessage, res: ServerResponse, maxBytes: number): Promise<Buffer> {
    let mine = 0;
    let closed = res.closed;
    res.once('close', () => {
      closed = true;
      this.held -= mine;
      mine = 0;
    });
    const take = (bytes: number): boolean => {
      if (closed) return true; // nothing would give them back; the read fails on the dead connection anyway
      if (this.held + bytes > this.limit) return false;
      this.held += bytes;
      mine += bytes;
      return true;
    };
    // The client waits for our word before it sends the body: given only now that the caller is known.
    const invite = (): void => {
      if (/100-continue/i.test(String(req.headers.expect ?? '')) && !res.headersSent && !closed) res.writeContinue();
    };
    return readBody(req, maxBytes, take, invite);
  }
}

const busy = (): HttpError =>
  new HttpError(503, 'Service Unavailable: too many request bodies in progress (--max-inflight-body), retry shortly', {
    'Retry-After': '1',
    Connection: 'close',
  });

/**
 * Reads the whole request body, refusing (413) as soon as it is known to exceed `limit` bytes —
 * from Content-Length before reading anything, else while streaming — and (503) when `take`
 * cannot hold its bytes: all of a declared length up front, a chunked body as it arrives.
 */
async function readBody(req: IncomingMessage, limit: number, take: (bytes: number) => boolean, invite: () => void): Promise<Buffer> {
  const tooLarge = () => new HttpError(413, `Request body too large: the limit is ${limit} bytes`, { Connection: 'close' });
  const header = req.headers['content-length'];
  const declared = header === undefined ? undefined : Number(header);
  if (declared !== undefined && declared > limit) throw tooLarge();
  if (declared !== undefined && !take(declared)) throw busy();
  invite();
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of req) {
      size += (chunk as Buffer).length;
      if (size > limit) throw tooLarge();
      // node's parser never passes more than the declared length: only undeclared bytes are new.
      if (declared === undefined && !take((chunk as Buffer).length)) throw busy();
      chunks.push(chunk as Buffer);
    }
  } catch (err) {
    if (err instanceof HttpError) throw err;
    // The client went away mid-body (or was cut at shutdown): its fault, not an internal error.
    throw new HttpError(400, `Request body incomplete: the connection closed after ${size} bytes`);
  }
  const [only] = chunks;
  return chunks.length === 1 && only ? only : Buffer.concat(chunks, size);
}
