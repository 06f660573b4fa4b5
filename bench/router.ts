// Throughput of `sq route`: GET through the router vs directly to the backend, with autocannon.
// Usage: npx tsc -p . && node dist/bench/router.js [connections=64] [seconds=3]
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const TOKEN = 'pmb-v1-0123456789abcdef0123456789abcdef';
const connections = Number(process.argv[2] ?? 64);
const seconds = Number(process.argv[3] ?? 3);

// A stand-in for `sq host`: a tiny plain-text answer, like /api/v2/version.
const BACKEND = `const s = require('node:http').createServer((q, r) => {
  r.writeHead(200, {'content-type': 'text/plain', 'access-control-allow-origin': '*'}); r.end('0.6.0');
}).listen(0, '127.0.0.1', () => console.log('PORT ' + s.address().port));`;

/** Starts a child and resolves with the port it prints. */
async function startChild(args: string[], pattern: RegExp): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'ignore'] });
  let out = '';
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      out += d;
      const m = pattern.exec(out);
      if (m) resolve(Number(m[1]));
    });
    child.once('exit', (code) => reject(new Error(`${args.join(' ')} exited with ${code}`)));
  });
  return { child, port };
}

async function autocannon(port: number): Promise<number> {
  const tool = join(ROOT, 'node_modules/autocannon/autocannon.js');
  const args = [
    tool,
    '-j',
    '-c',
    String(connections),
    '-d',
    String(seconds),
    '-H',
    `Authorization=Bearer ${TOKEN}`,
    `http://127.0.0.1:${port}/api/v2/version`,
  ];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'ignore'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d));
  await once(child, 'exit');
  const result = JSON.parse(out) as { requests: { average: number }; non2xx: number; errors: number };
  if (result.non2xx || result.errors) throw new Error(`port ${port}: ${result.non2xx} non-2xx, ${result.errors} errors`);
  return result.requests.average;
}

const dir = mkdtempSync(join(tmpdir(), 'sq-bench-router-'));
const backend = await startChild(['-e', BACKEND], /PORT (\d+)/);
const config = join(dir, 'router.json');
writeFileSync(config, JSON.stringify({ tenants: [{ token: TOKEN, port: backend.port }] }));
// The router logs every request to stderr; the bench discards it (stdio 'ignore').
const router = await startChild(
  [join(ROOT, 'bin/sq'), 'route', config, '0', '--bind', '127.0.0.1'],
  /listening on http:\/\/127\.0\.0\.1:(\d+)/,
);
try {
  const direct = await autocannon(backend.port);
  const routed = await autocannon(router.port);
  console.log(`autocannon -c ${connections} -d ${seconds}s GET /api/v2/version`);
  console.log(`direct to backend: ${direct.toFixed(0)} req/s`);
  console.log(`through sq route:  ${routed.toFixed(0)} req/s (${((routed / direct) * 100).toFixed(0)}% of direct)`);
} finally {
  router.child.kill('SIGTERM');
  backend.child.kill('SIGTERM');
  rmSync(dir, { recursive: true, force: true });
}
