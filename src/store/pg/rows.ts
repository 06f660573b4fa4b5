import { Coordinate } from '../../phext/index.js';
import type { ChangeRecord } from '../change-record.js';

/**
 * A coordinate as the database keeps it: each part zero-padded to five digits (parts reach
 * 65535), `00001.00001.00001/00001.00001.00001/00001.00002.00003`, so that byte order (COLLATE
 * "C") is coordinate order and a human can still read it.
 */
export function coordText(c: Coordinate): string {
  const p = c.parts.map((n) => String(n).padStart(5, '0'));
  return `${p[0]}.${p[1]}.${p[2]}/${p[3]}.${p[4]}.${p[5]}/${p[6]}.${p[7]}.${p[8]}`;
}

/** The coordinate of a {@link coordText}. */
export function coordinateOf(text: string): Coordinate {
  return Coordinate.of(text.split(/[./]/).map(Number));
}

/** A row of sq_changes as `pg` returns it (bigint as text, bytea as a Buffer). */
export interface ChangeRow {
  readonly coord: string;
  readonly version: string;
  readonly kind: ChangeRecord['kind'];
  readonly bytes: number;
  readonly checksum: string;
  readonly text: Buffer;
  readonly before: string;
}

export function recordOf(row: ChangeRow): ChangeRecord {
  return {
    version: Number(row.version),
    coordinate: coordinateOf(row.coord),
    kind: row.kind,
    text: row.text.toString('utf8'),
    bytes: row.bytes,
    checksum: row.checksum,
    before: row.before,
  };
}

/** The parameters of the store's WRITE statement that hold `records`, column by column. */
export function recordColumns(records: readonly ChangeRecord[]): unknown[] {
  return [
    records.map((r) => coordText(r.coordinate)),
    records.map((r) => r.version),
    records.map((r) => r.kind),
    records.map((r) => r.bytes),
    records.map((r) => r.checksum),
    records.map((r) => Buffer.from(r.text, 'utf8')),
    records.map((r) => r.before),
  ];
}
