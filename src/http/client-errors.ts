import type { Server } from 'node:http';
import type { Socket } from 'node:net';

const STATUS: Record<string, string> = {
  ERR_HTTP_REQUEST_TIMEOUT: '408 Request Timeout',
  HPE_HEADER_OVERFLOW: '431 Request Header Fields Too Large',
};

/**
 * Answers requests node refuses before they reach the pipeline (headers timeout, oversized or
 * malformed headers) like every other answer: with `Access-Control-Allow-Origin: *`, so a
 * browser page sees the status instead of a CORS failure. As node itself does, only a connection
 * that has not been answered yet gets a status line: mid-stream one would corrupt a pipelined reply.
 */
export function answerClientErrors(server: Server): void {
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => {
    if (!socket.writable || socket.bytesWritten > 0) return void socket.destroy();
    const status = STATUS[err.code ?? ''] ?? '400 Bad Request';
    socket.end(`HTTP/1.1 ${status}\r\nAccess-Control-Allow-Origin: *\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`);
  });
}
