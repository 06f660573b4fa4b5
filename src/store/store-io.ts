import { stageFile, writeFileAtomic, type AtomicWriteOptions, type StagedFile } from './atomic-write.js';
import type { FileHandle } from 'node:fs/promises';
import { appendFrame, openForAppend } from './change-log.js';
import type { FileStamp } from './file-stamp.js';

/** The store's durable writes; tests swap them to inject failures (a full disk, a crash). */
export interface StoreIo {
  /** Replaces a file atomically (see writeFileAtomic): new change logs. */
  replace(path: string, data: Buffer | AsyncIterable<Buffer>, options: AtomicWriteOptions): Promise<FileStamp>;
  /** Writes a new version of a file beside it, installed later (see stageFile): checkpoints. */
  stage(path: string, data: Buffer | AsyncIterable<Buffer>): Promise<StagedFile>;
  /** Opens a change log to append at `at`, cutting off anything after it (see openForAppend). */
  openLog(path: string, at: number): Promise<FileHandle>;
  /** Writes a frame of the log at `at` and syncs it (see appendFrame). */
  append(log: FileHandle, at: number, bytes: Buffer): Promise<void>;
}

export const FILE_IO: StoreIo = { replace: writeFileAtomic, stage: stageFile, openLog: openForAppend, append: appendFrame };
