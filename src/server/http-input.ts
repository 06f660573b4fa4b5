import { isUtf8 } from 'node:buffer';
import type { Coordinate, WhereAlgorithm } from '../phext/index.js';
import { coordinate, ifVersion, scrollText, whereAlgo, whereLimit, type InputDecoder, type PhextRef } from '../commands/input.js';
import type { Tenant } from '../tenants/tenant.js';
import { HttpError } from './http-error.js';
import type { Params } from './params.js';
import { phextName } from './phext-name.js';

/** An API request as the pipeline has read it, before any command looks at it. */
export interface HttpCommandRequest {
  readonly method: string;
  /** Query parameters, with a form body's fields merged in. */
  readonly params: Params;
  /** The raw body; empty when there was none or when it was a form. */
  readonly body: Buffer;
  /** The fields of a form body, undefined when the body was not a form. */
  readonly form: Params | undefined;
  readonly tenant: Tenant;
  readonly connectionId: number;
  /** The If-Match header, when sent. */
  readonly ifMatch: string | undefined;
  /** The phext of a request without `p` (see defaultPhext); undefined when `p` names one. */
  readonly fallback: PhextRef | undefined;
}

/**
 * The command input of an HTTP request: `p` (or the default phext), `c`, the scroll text from
 * the body or `s`/`content`, a delta manifest from a POST body, `algo`, `limit`. Each field is
 * decoded only when a command asks for it.
 */
export class HttpInput implements InputDecoder {
  private decodedBody?: string;

  constructor(private readonly request: HttpCommandRequest) {}

  phext(): PhextRef {
    const { fallback, params, tenant } = this.request;
    if (fallback) return fallback;
    return { tenant: tenant.name, name: phextName(params.get('p')) };
  }

  coordinate(): Coordinate {
    return coordinate(this.request.params.get('c'));
  }

  text(): string {
    return scrollText(this.request.body.length > 0 ? this.bodyText() : this.textParameter());
  }

  manifest(): string {
    return this.request.method === 'POST' ? this.bodyText() : '';
  }

  source(): string {
    return this.bodyText() !== '' ? this.bodyText() : (this.request.params.get('s') ?? '');
  }

  algo(): WhereAlgorithm {
    return whereAlgo(this.request.params.get('algo'));
  }

  limit(): number {
    return whereLimit(this.request.params.get('limit'));
  }

  connectionId(): number {
    return this.request.connectionId;
  }

  ifVersion(): number | undefined {
    return ifVersion(this.request.ifMatch);
  }

  private bodyText(): string {
    if (this.decodedBody === undefined) {
      if (!isUtf8(this.request.body)) throw new HttpError(400, 'Invalid UTF-8 in request body');
      this.decodedBody = this.request.body.toString('utf8');
    }
    return this.decodedBody;
  }

  /**
   * `s`, or `content` as form-posting scripts name it; both at once is ambiguous and refused. A
   * form body must carry the text itself: a form without it (`curl -d 'limit=10'`) would
   * otherwise empty the scroll.
   */
  private textParameter(): string {
    const { params, form } = this.request;
    const s = params.get('s');
    const content = params.get('content');
    if (s !== undefined && content !== undefined) {
      throw new HttpError(400, "Both 's' and 'content' given: send the scroll text in one of them");
    }
    if (form && !form.has('s') && !form.has('content')) {
      throw new HttpError(400, "Form body without 's' or 'content': no scroll text to write");
    }
    return s ?? content ?? '';
  }
}
