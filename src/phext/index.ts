/** The phext codec: pure functions over bytes and strings, no I/O. */
export { Coordinate } from './coordinate.js';
export { containsDelimiter } from './delimiters.js';
export { PhextFormatError, PhextInputError } from './errors.js';
export { Phext, textMemory, type Scroll } from './phext.js';
export { parse, parseAsync } from './parse.js';
export { serialize, serializeInTurns, serializePieces } from './serialize.js';
export { checksum } from './checksum.js';
export { toc, tocLines } from './toc.js';
export { manifest, delta, deltaScrolls } from './delta.js';
export { where } from './where.js';
export { whereAlgorithm, whereLimit, type WhereAlgorithm } from './where-options.js';
export { serializedGrowth } from './growth.js';
