/** The durable document store: cached phexts, group commit, atomic file replacement. */
export { StoreError, type DocumentStore, type Snapshot, type StoreOptions, type CommitInfo, type StoreStats } from './document-store.js';
export { FileDocumentStore, MEMORY_PER_BYTE, MEMORY_PER_SCROLL, type DurableWriter } from './file-store.js';
export { writeFileAtomic } from './atomic-write.js';
export { DirLockedError, lockDirectory, type DirLock } from './dir-lock.js';
