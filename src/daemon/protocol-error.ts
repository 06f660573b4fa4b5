/** A request line that cannot be read; the daemon answers `{ok:false}` and keeps the connection. */
export class ProtocolError extends Error {
  override readonly name = 'ProtocolError';
}
