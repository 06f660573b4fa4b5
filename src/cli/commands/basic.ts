import { parseArgs } from 'node:util';
import { UsageError, type Command } from '../command.js';
import { startHost } from '../../server/start-host.js';
import { basicConfig } from '../../server/host-config.js';
import { keepHeapNearLive, serveUntilSignal } from './host.js';
import { isLoopbackAddress, parsePort } from '../options.js';

const USAGE = `Usage: sq basic [--port N] [--bind ADDR]

The quickest start: serves the REST API for the phexts in the current directory, with
index.phext as the phext of requests that name none (no p=). Nothing is created until the
first write. For tokens, tenants and limits use sq host.

Options:
  --port N       port to listen on (default 1337; 0 picks a free port)
  --bind ADDR    address to listen on (default 127.0.0.1, this machine only)`;

/** `sq basic`: `sq host` with first-time-user defaults. */
export const basicCommand: Command = {
  name: 'basic',
  summary: 'Serve the current directory over HTTP on port 1337, index.phext by default',
  usage: USAGE,
  async run(args) {
    const { values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      strict: true,
      options: { port: { type: 'string' }, bind: { type: 'string' } },
    });
    if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0]}'`);
    const bind = values.bind ?? '127.0.0.1';
    const config = basicConfig(parsePort(values.port ?? '1337'), bind, isLoopbackAddress(bind));
    keepHeapNearLive();
    const host = await startHost(config, (line) => process.stderr.write(line + '\n'));
    return serveUntilSignal(host, bind, `, default phext: ${config.defaultPhext}.phext`);
  },
};
