export interface Tenant {
  readonly name: string;
  readonly dataDir: string /* absolute */;
  readonly quotaBytes?: number;
  /** Where each committed change is POSTed (of phext `p` only, when given). */
  readonly webhooks?: readonly WebhookTarget[];
}

interface WebhookTarget {
  readonly url: string;
  readonly p?: string;
  /** Signs each POST (see feed/webhooks.ts); never logged. */
  readonly secret?: string;
}
/** A tenant as configured: its key in the file and the digest it is looked up by. */
export interface ConfiguredTenant extends Tenant {
  /** The key as written in the file (a token or `sha256:<hex>`); never log it whole. */
  readonly key: string;
  readonly digest: Buffer;
}
/** Maps a presented token to its tenant. */
export interface TenantResolver {
  /** The tenant for this token, or undefined (→ 401). `token` is undefined when none was presented. */
  resolve(token: string | undefined): Tenant | undefined;
}
