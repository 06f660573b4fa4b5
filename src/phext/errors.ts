/** A phext buffer that cannot be read: the caller reports it and must not overwrite the source. */
export class PhextFormatError extends Error {
  override readonly name = 'PhextFormatError';

  constructor(
    message: string,
    /** Why: bytes that are not UTF-8, or a coordinate part beyond what a key holds. */
    readonly reason: 'utf8' | 'too-deep',
  ) {
    super(message);
  }
}

/**
 * Input an operation cannot accept: an invalid coordinate, scroll text containing a delimiter, a
 * malformed manifest line. The message says what and where; a server answers it with 400.
 */
export class PhextInputError extends Error {
  override readonly name = 'PhextInputError';
}
