import { isUtf8 } from 'node:buffer';
import { Coordinate, containsDelimiter, type Phext } from '../phext/index.js';
import type { DocumentStore, Snapshot } from '../store/document-store.js';
import type { Tenant } from '../tenants/tenant.js';
import type { CommandContext } from './context.js';
import { HttpError } from './http-error.js';
import type { Params } from './params.js';
import type { PhextTarget } from './default-phext.js';
import { phextPath } from './phext-path.js';

/** Holds `growth()` bytes of a tenant's quota until the returned release is called (see TenantServices). */
export type ReserveQuota = (tenant: Tenant, growth: () => number) => () => void;

/**
 * One HTTP request as a command sees it. Validation happens on first use, so a command that
 * never looks at `c` or `s` cannot be refused for them.
 */
export class RequestContext implements CommandContext {
  private decodedBody?: string;

  constructor(
    readonly method: string,
    readonly params: Params,
    private readonly body: Buffer,
    /** The fields of a form body (already merged into `params`), undefined when the body was not a form. */
    private readonly form: Params | undefined,
    readonly tenant: Tenant,
    readonly connectionId: number,
    readonly store: DocumentStore,
    private readonly reserveQuota: ReserveQuota | undefined,
    /** The phext of a request without `p` (see defaultPhext); undefined when `p` names one. */
    private readonly fallback: PhextTarget | undefined,
    /** `f=` pages run unsandboxed on the API's origin (sq basic on loopback, see page-file.ts). */
    readonly trustedPages = false,
  ) {}

  name(): string {
    if (this.fallback) return this.fallback.name;
    phextPath(this.tenant.dataDir, this.params.get('p'));
    return this.params.get('p')!;
  }

  path(): string {
    return this.fallback?.path ?? phextPath(this.tenant.dataDir, this.params.get('p'));
  }

  coordinate(): Coordinate {
    const c = Coordinate.parse(this.params.get('c') ?? '');
    const problem = c.problem();
    if (problem) throw new HttpError(400, `Invalid coordinate: ${problem}`);
    return c;
  }

  bodyText(): string {
    if (this.decodedBody === undefined) {
      if (!isUtf8(this.body)) throw new HttpError(400, 'Invalid UTF-8 in request body');
      this.decodedBody = this.body.toString('utf8');
    }
    return this.decodedBody;
  }

  scrollText(): string {
    const text = this.body.length > 0 ? this.bodyText() : this.textParameter();
    if (containsDelimiter(text)) {
      throw new HttpError(400, 'Scroll text contains phext delimiter bytes (0x01, 0x17-0x1A, 0x1C-0x1F); send one scroll per request');
    }
    return text;
  }

  /**
   * `s`, or `content` as form-posting scripts name it; both at once is ambiguous and refused. A
   * form body must carry the text itself: a form without it (`curl -d 'limit=10'`) would
   * otherwise empty the scroll.
   */
  private textParameter(): string {
    const s = this.params.get('s');
    const content = this.params.get('content');
    if (s !== undefined && content !== undefined) {
      throw new HttpError(400, "Both 's' and 'content' given: send the scroll text in one of them");
    }
    if (this.form && !this.form.has('s') && !this.form.has('content')) {
      throw new HttpError(400, "Form body without 's' or 'content': no scroll text to write");
    }
    return s ?? content ?? '';
  }

  read(): Promise<Snapshot | undefined> {
    return this.store.read(this.path());
  }

  mutate<T>(plan: (phext: Phext) => { growth: () => number; apply: () => T }): Promise<T> {
    const path = this.path();
    let release: (() => void) | undefined;
    return this.store
      .mutate(path, (phext) => {
        const step = plan(phext);
        // The store may run a change again (on top of a file edited meanwhile): one reservation.
        release?.();
        release = undefined;
        release = this.reserveQuota?.(this.tenant, step.growth);
        return step.apply();
      })
      .finally(() => release?.());
  }
}
