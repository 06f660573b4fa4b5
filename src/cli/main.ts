/** Entry point of the `sq` command. */
export async function main(argv: string[]): Promise<void> {
  process.stdout.write(`sq ${argv.join(' ')}\n`);
}
