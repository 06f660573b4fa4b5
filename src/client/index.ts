/** `sq/client`: a typed client of SQ's REST API, on `fetch` alone (Node ≥ 20 and browsers). */
export { Coordinate } from '../phext/coordinate.js';
export { parseCoordinate, type CoordinateLike } from './coordinates.js';
export {
  SqBadRequestError,
  SqError,
  SqNotFoundError,
  SqQuotaError,
  SqTooLargeError,
  SqUnauthorizedError,
  SqUnavailableError,
  SqVersionConflictError,
  type SqErrorCode,
} from './errors.js';
export {
  SqClient,
  type Checksum,
  type ExportedScroll,
  type Manifest,
  type PhextInfo,
  type ReadOptions,
  type Scroll,
  type SqClientOptions,
  type Status,
  type Text,
  type Toc,
  type TocEntry,
  type Versioned,
  type WriteOptions,
  type WriteResult,
} from './sq-client.js';
export type { ChangeEvent, ResetEvent, WatchEvent, WatchOptions } from './watch.js';
