/**
 * A document as a store addresses it: the phext `name` of `tenant`. The name is the one clients
 * use (`p`), already checked by the transport; `''` is the original SQ's default phext.
 */
export interface DocumentKey {
  readonly tenant: string;
  readonly name: string;
}
