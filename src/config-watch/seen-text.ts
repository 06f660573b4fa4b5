import { readFile } from 'node:fs/promises';

/**
 * The text of a watched config file last read, loaded or refused. The watcher hears of every
 * file in the config's directories: an event that left this file as it was must neither reload
 * it nor repeat a refusal. Shared by the tenants file (`sq host --config`) and router.json.
 */
export class SeenText {
  constructor(
    private readonly path: string,
    private seen: string | undefined,
  ) {}

  /** Reads the file (undefined when unreadable): false when that text was seen already; it is seen now. */
  async changed(): Promise<boolean> {
    const text = await readFile(this.path, 'utf8').catch(() => undefined);
    if (text === this.seen) return false;
    this.seen = text;
    return true;
  }

  /** The text we just loaded or wrote ourselves. */
  saw(text: string | undefined): void {
    this.seen = text;
  }
}
