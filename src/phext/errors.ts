/** A phext buffer that cannot be read: the caller reports it and must not overwrite the source. */
export class PhextFormatError extends Error {
  override readonly name = 'PhextFormatError';
}

/**
 * Input an operation cannot accept: an invalid coordinate, scroll text containing a delimiter, a
 * malformed manifest line. The message says what and where; a server answers it with 400.
 */
export class PhextInputError extends Error {
  override readonly name = 'PhextInputError';
}
