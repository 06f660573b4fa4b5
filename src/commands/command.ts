import type { DocumentStore } from '../store/document-store.js';
import type { Body } from './body-stream.js';
import type { CommandInput } from './input.js';

/** What a command answers: a text body (streamed when it grows with the phext). */
interface Reply {
  readonly body: Body;
  /** Default: plain UTF-8 text. */
  readonly contentType?: string;
  /** The phext's version this answer shows (a read) or made (a write); HTTP sends it as the ETag. */
  readonly version?: number;
}

/** What every command runs against, whichever transport asked. */
interface CommandEnv {
  readonly store: DocumentStore;
}

/**
 * One command: the input fields it needs, in the order they are decoded (so the first invalid
 * one is the one reported), and what it does with them. It never sees a transport.
 */
export interface Command<K extends keyof CommandInput = keyof CommandInput> {
  readonly needs: readonly K[];
  /** Its answer is a scroll's content, which HTTP may serve as a file (`f=`, see page-file.ts). */
  readonly page?: boolean;
  run(input: Pick<CommandInput, K>, env: CommandEnv): Promise<Reply>;
}

/** Declares a command, inferring its fields from `needs`. */
export function command<K extends keyof CommandInput>(spec: Command<K>): Command<K> {
  return spec;
}
