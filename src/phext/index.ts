/** The phext codec: pure functions over bytes and strings, no I/O. */
export { Coordinate, PART_MIN, PART_MAX } from './coordinate.js';
export { DELIMITERS, PART_NAMES, BREAK_FOR_PART, isDelimiter, containsDelimiter } from './delimiters.js';
export { PhextFormatError } from './errors.js';
export { Phext, type Scroll } from './phext.js';
export { parse } from './parse.js';
export { serialize, serializeToString, delimitersBetween } from './serialize.js';
