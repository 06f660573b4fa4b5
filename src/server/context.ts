import type { Coordinate, Phext } from '../phext/index.js';
import type { DocumentStore, Snapshot } from '../store/document-store.js';
import type { Tenant } from '../tenants/tenant.js';
import type { Body } from './body-stream.js';
import type { Params } from './params.js';

/** Everything a command handler may use; built once per request by the pipeline. */
export interface CommandContext {
  readonly method: string;
  readonly params: Params;
  readonly tenant: Tenant;
  readonly connectionId: number;
  /** Pages served with `f=` may run unsandboxed on the API's origin (`sq basic` on loopback); absent → sandboxed. */
  readonly trustedPages?: boolean;
  /** The phext name `p` (validated) and its file. Throws 400/403 when `p` is missing or bad. */
  name(): string;
  path(): string;
  /** The coordinate `c`, read as the original reads it (origin when absent). Throws 400 when a part is over 999. */
  coordinate(): Coordinate;
  /**
   * The scroll text: the raw POST body if any, else `s` or `content`. Throws 400 on delimiter
   * bytes, on both `s` and `content`, and on a form body that carries neither.
   */
  scrollText(): string;
  /** The raw request body as UTF-8 text ('' for none). */
  bodyText(): string;
  /** The committed state of the phext, undefined when its file does not exist. */
  read(): Promise<Snapshot | undefined>;
  /**
   * Applies a change durably. `plan` looks at the phext and says how many bytes the file grows by
   * (`growth`, asked only when the tenant has a quota, which it is checked against) before
   * `apply` makes the change.
   */
  mutate<T>(plan: (phext: Phext) => { growth: () => number; apply: () => T }): Promise<T>;
  readonly store: DocumentStore;
}

/** What a command answers: a 200 text body unless said otherwise. */
export interface Reply {
  readonly status?: number;
  readonly body: Body;
  readonly contentType?: string;
  readonly headers?: Record<string, string>;
}
