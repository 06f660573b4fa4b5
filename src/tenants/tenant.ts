export interface Tenant {
  readonly name: string;
  readonly dataDir: string /* absolute */;
  readonly quotaBytes?: number;
}
/** Maps a presented token to its tenant. */
export interface TenantResolver {
  /** The tenant for this token, or undefined (→ 401). `token` is undefined when none was presented. */
  resolve(token: string | undefined): Tenant | undefined;
}
