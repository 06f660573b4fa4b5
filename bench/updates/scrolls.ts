/**
 * The update bench's requests and read-backs, shared by its rows (bench/updates.ts), the noisy
 * neighbour (neighbour.ts) and the cold load (cold.ts): updates of random existing scrolls with
 * texts of their own, a select, and the check that a load's acknowledged updates were written.
 */
import { coordinateOf, scrollText, type PhextFixture } from '../http/fixtures.js';
import type { ServerChild } from '../http/processes.js';
import { STAMP, stampOf, type LoadResult, type WrkRequest } from '../http/wrk-load.js';

export const HEADERS = { 'content-type': 'text/plain; charset=utf-8' };
/** Requests sampled per load, for wrk to replay at random. */
export const SAMPLED = 512;

export const random = (n: number) => Math.floor(Math.random() * n);

// Above every seed's serial (the scroll's index), so a text that was sent is never a seed text.
let serial = 1e9;

/** A new text for a scroll of `fixture`, never sent before. */
export const newText = (fixture: PhextFixture): string => scrollText(++serial, fixture.scrollBytes);

export const updatePath = (fixture: PhextFixture, coordinate: string) => `/api/v2/update?p=${fixture.name}&c=${coordinate}`;
export const selectPath = (fixture: PhextFixture, coordinate: string) => `/api/v2/select?p=${fixture.name}&c=${coordinate}`;

/** A scroll's text with a {@link STAMP} in its head: every request carrying it sends a text of its own. */
const stampedText = (fixture: PhextFixture): string =>
  (`#${STAMP} ` + 'abcdefghijklmnopqrstuvwxyz '.repeat(Math.ceil(fixture.scrollBytes / 27))).slice(0, fixture.scrollBytes);

/**
 * `n` updates of random existing scrolls for wrk to replay at random, each request with a text
 * never sent before (stamped by wrk), so that every acknowledged update changes its scroll.
 */
export function sampleUpdates(fixture: PhextFixture, n = SAMPLED): WrkRequest[] {
  const body = stampedText(fixture);
  return Array.from({ length: n }, () => ({ method: 'POST', path: updatePath(fixture, coordinateOf(random(fixture.scrolls))), body }));
}

const url = (server: ServerChild, path: string) => `http://127.0.0.1:${server.port}${path}`;

export async function selectText(server: ServerChild, fixture: PhextFixture, coordinate: string): Promise<string> {
  const res = await fetch(url(server, selectPath(fixture, coordinate)));
  const text = await res.text();
  if (res.status !== 200) throw new Error(`${server.name}: select ${coordinate}: HTTP ${res.status} ${text}`);
  return text;
}

/** One update of a random existing scroll, answered 200; returns where it wrote what. */
export async function updateOnce(server: ServerChild, fixture: PhextFixture): Promise<{ coordinate: string; text: string }> {
  const coordinate = coordinateOf(random(fixture.scrolls));
  const text = newText(fixture);
  const res = await fetch(url(server, updatePath(fixture, coordinate)), { method: 'POST', headers: HEADERS, body: text });
  const answer = await res.text();
  if (res.status !== 200) throw new Error(`${server.name}: update: HTTP ${res.status} ${answer}`);
  return { coordinate, text };
}

/** A load's read-back: how many sampled coordinates hold a text the load sent. */
export interface Check {
  readonly row: string;
  readonly acknowledged: number;
  readonly sampled: number;
  readonly written: number;
  /** About how many sampled coordinates `acknowledged` updates at random reach. */
  readonly expected: number;
  readonly failures: readonly string[];
}

/**
 * After a load: one more update, whose answer comes only after the commits still in flight when
 * wrk stopped (so they do not run into the next row); then every coordinate the load's requests
 * name is read back, and those the load reached must hold a text it sent (its stamp in the
 * load's range).
 */
export async function check(
  server: ServerChild,
  fixture: PhextFixture,
  row: string,
  requests: readonly WrkRequest[],
  load: Pick<LoadResult, 'stampsFrom'>,
  acknowledged: number,
): Promise<Check> {
  const picks = new Map<string, number>(); // coordinate → requests naming it
  for (const r of requests) {
    const coordinate = new URL(r.path, 'http://localhost').searchParams.get('c')!;
    picks.set(coordinate, (picks.get(coordinate) ?? 0) + 1);
  }
  await updateOnce(server, fixture);
  const template = stampedText(fixture);
  let written = 0;
  const failures: string[] = [];
  for (const coordinate of picks.keys()) {
    const text = await selectText(server, fixture, coordinate);
    if (load.stampsFrom !== undefined && stampOf(text, template, load.stampsFrom) !== undefined) written++;
    else if (text.length !== fixture.scrollBytes) failures.push(`${coordinate} holds ${text.length} bytes`);
  }
  // wrk picks each request at random among the sampled ones, so `acknowledged` updates reach
  // about `expected` distinct coordinates; a server that drops writes falls far short of it.
  let expected = 0;
  for (const n of picks.values()) expected += 1 - (1 - n / requests.length) ** acknowledged;
  if (acknowledged === 0) failures.push('no update acknowledged');
  else if (written < Math.max(1, Math.floor(expected / 2))) failures.push(`${written} read back, ~${expected.toFixed(0)} expected`);
  return { row, acknowledged, sampled: picks.size, written, expected, failures };
}

export function formatChecks(checks: readonly Check[]): string {
  return checks
    .map(
      (c) =>
        `check ${c.row}: ${c.written} of ${c.sampled} sampled coordinates hold a text this row sent ` +
        `(~${c.expected.toFixed(0)} expected of ${c.acknowledged} acknowledged) ${c.failures.length === 0 ? 'ok' : `FAILED: ${c.failures.join('; ')}`}`,
    )
    .join('\n');
}
