import { parseArgs } from 'node:util';
import { UsageError, type Command } from '../command.js';
import { ROUTER_DEFAULTS, startRouter } from '../../router/index.js';
import { TIMEOUT_OPTIONS, TIMEOUT_USAGE, byteSize, isLoopbackAddress, parsePort, positiveInteger, timeouts } from '../options.js';

const USAGE = `Usage: sq route <router.json> <port> [options]

Proxies each request to the backend on 127.0.0.1:<port> chosen by its token
(Authorization: Bearer <t>, a bare Authorization: <t>, or X-SQ-API-Key: <t>).
router.json: {"tenants": [{"token": "...", "port": 1341, "data_dir": "..."}]}
A token may be given as sha256:<hex> of it; several tokens may share a port.
The config is reloaded when the file changes and on SIGHUP; SIGTERM/SIGINT drain and exit.

Options:
  --bind ADDR            address to listen on (default ${ROUTER_DEFAULTS.bind})
  --max-body BYTES       largest request body, K/M/G suffixes allowed (default 64M)
  --backend-timeout-ms N backend silence before 504 (default ${ROUTER_DEFAULTS.backendTimeoutMs})
  --max-connections N    client connections before 503 (default ${ROUTER_DEFAULTS.maxConnections})
  --log-format FMT       request log on stderr: text, json or off (default text)
${TIMEOUT_USAGE}`;

/** `sq route`: the token router in front of several `sq host` backends. */
export const routeCommand: Command = {
  name: 'route',
  summary: 'Route requests by token to several sq host backends',
  usage: USAGE,
  async run(args: string[]): Promise<number> {
    let parsed;
    try {
      parsed = parseArgs({
        args,
        allowPositionals: true,
        options: {
          bind: { type: 'string' },
          'max-body': { type: 'string' },
          'backend-timeout-ms': { type: 'string' },
          'max-connections': { type: 'string' },
          'log-format': { type: 'string' },
          ...TIMEOUT_OPTIONS,
        },
      });
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
    const [configPath, portText, ...extra] = parsed.positionals;
    if (configPath === undefined || portText === undefined) throw new UsageError('expected <router.json> <port>');
    if (extra.length > 0) throw new UsageError(`unexpected argument '${extra[0]}'`);
    const port = parsePort(portText);
    const bind = parsed.values.bind ?? ROUTER_DEFAULTS.bind;
    const logFormat = parsed.values['log-format'] ?? ROUTER_DEFAULTS.logFormat;
    if (logFormat !== 'text' && logFormat !== 'json' && logFormat !== 'off') throw new UsageError('--log-format must be text, json or off');
    const router = await startRouter({
      configPath,
      port,
      bind,
      logFormat,
      maxBodyBytes: byteSize(parsed.values['max-body'], 'max-body', ROUTER_DEFAULTS.maxBodyBytes),
      backendTimeoutMs: positiveInteger(parsed.values['backend-timeout-ms'], 'backend-timeout-ms', ROUTER_DEFAULTS.backendTimeoutMs),
      maxConnections: positiveInteger(parsed.values['max-connections'], 'max-connections', ROUTER_DEFAULTS.maxConnections),
      ...timeouts(parsed.values, ROUTER_DEFAULTS),
    });
    if (!isLoopbackAddress(bind))
      process.stderr.write(
        `sq route: warning: listening on ${bind}, reachable from other hosts; tokens cross the network in clear text unless TLS is in front\n`,
      );
    const host = bind.includes(':') ? `[${bind}]` : bind;
    process.stdout.write(`SQ router listening on http://${host}:${router.port}\n`);

    const stop = (): void => void router.close();
    const reload = (): void => void router.reload();
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
    process.on('SIGHUP', reload);
    try {
      await router.closed;
    } finally {
      process.off('SIGTERM', stop);
      process.off('SIGINT', stop);
      process.off('SIGHUP', reload);
    }
    return 0;
  },
};
