/** The durable document store: cached phexts, group commit, atomic file replacement. */
export { StoreError, type Commit, type DocumentKey } from './document-store.js';
export { FileDocumentStore } from './file-store.js';
export { writeFileAtomic } from './atomic-write.js';
export { lockDirectory, type DirLock } from './dir-lock.js';
export { QuotaError, type QuotaHold, type QuotaLedger } from './quota-ledger.js';
