/** The worked coordinate examples of SQ-PROTOCOL A1 (test/fixtures/coordinate-vectors.json). */
import { readFileSync } from 'node:fs';

export interface CoordinateVector {
  /** Coordinate text as a client sends it. */
  readonly text: string;
  /** The canonical coordinate it addresses, or `400` where a part exceeds 999. */
  readonly expect: string;
  /** For a 400: where the original SQ puts it instead (it clamps to 999). */
  readonly original?: string;
}

/** Read from the repository, not the build: tests run from dist/, the fixture stays in test/. */
export const COORDINATE_VECTORS: readonly CoordinateVector[] = (
  JSON.parse(readFileSync(new URL('../../../test/fixtures/coordinate-vectors.json', import.meta.url), 'utf8')) as {
    vectors: CoordinateVector[];
  }
).vectors;
