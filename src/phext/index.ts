/** The phext codec: pure functions over bytes and strings, no I/O. */
export { Coordinate, PART_MIN, PART_MAX } from './coordinate.js';
export { DELIMITERS, PART_NAMES, BREAK_FOR_PART, isDelimiter, containsDelimiter } from './delimiters.js';
export { PhextFormatError, PhextInputError } from './errors.js';
export { Phext, type Scroll } from './phext.js';
export { parse, parseAsync } from './parse.js';
export { serialize, serializeToString, serializePieces, delimitersBetween } from './serialize.js';
export { checksum } from './checksum.js';
export { toc, tocLines, summary, SUMMARY_BYTES } from './toc.js';
export { requireValid, requireScrollText } from './validate.js';
export { manifest, parseManifest, delta, deltaScrolls, SCROLL_MISSING, type ManifestEntry } from './delta.js';
export { where } from './where.js';
export { whereAlgorithm, whereLimit, DEFAULT_WHERE_LIMIT, type WhereAlgorithm } from './where-options.js';
export { serializedGrowth } from './growth.js';
