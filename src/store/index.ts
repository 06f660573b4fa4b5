/** The durable document store: cached phexts, group commit, atomic file replacement. */
export { FileDocumentStore } from './file-store.js';
export { writeFileAtomic } from './atomic-write.js';
export { lockDirectory, type DirLock } from './dir-lock.js';
