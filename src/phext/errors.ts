/** A phext buffer that cannot be read: the caller reports it and must not overwrite the source. */
export class PhextFormatError extends Error {
  override readonly name = 'PhextFormatError';
}
