import type { IncomingMessage } from 'node:http';
import { HttpError } from './http-error.js';

/**
 * Reads the whole request body, refusing (413) as soon as it is known to exceed `limit` bytes —
 * from Content-Length before reading anything, else while streaming.
 */
export async function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const tooLarge = () => new HttpError(413, `Request body too large: the limit is ${limit} bytes`, { Connection: 'close' });
  const declared = req.headers['content-length'];
  if (declared !== undefined && Number(declared) > limit) throw tooLarge();
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of req) {
      size += (chunk as Buffer).length;
      if (size > limit) throw tooLarge();
      chunks.push(chunk as Buffer);
    }
  } catch (err) {
    if (err instanceof HttpError) throw err;
    // The client went away mid-body (or was cut at shutdown): its fault, not an internal error.
    throw new HttpError(400, `Request body incomplete: the connection closed after ${size} bytes`);
  }
  return chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size);
}
