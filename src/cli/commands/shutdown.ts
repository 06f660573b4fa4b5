/**
 * Resolves with exit code 0 once SIGTERM/SIGINT has drained the server or daemon. In a file of its
 * own so that sq share does not load sq host's HTTP server with it.
 */
export function waitForShutdown(close: () => Promise<void>): Promise<number> {
  return new Promise((done) => {
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) return;
      stopping = true;
      process.stderr.write(`${signal}: finishing in-flight requests\n`);
      close().then(
        () => done(0),
        (err: Error) => {
          process.stderr.write(`shutdown failed: ${err.message}\n`);
          done(1);
        },
      );
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
}
