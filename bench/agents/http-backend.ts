// The bench's HTTP backend: a Node http server answering every request with a fixed 1 KiB body,
// keep-alive on. Run as its own process: `node http-backend.js [--host H] --port N` (host default
// 127.0.0.1; `--host 0.0.0.0` in a local-cluster pod); prints `READY <port>` once listening and
// exits cleanly on SIGTERM / SIGINT.

import { isIP } from 'node:net';
import { createServer } from 'node:http';

const BODY = Buffer.alloc(1024, 'x');

function option(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

function main(): void {
  const portText = option('port') ?? '0';
  const port = /^\d{1,5}$/.test(portText) ? Number(portText) : Number.NaN;
  const host = option('host') ?? '127.0.0.1';
  if (!Number.isInteger(port) || port < 0 || port > 65535 || isIP(host) === 0) {
    process.stderr.write('usage: http-backend [--host IP] --port N\n');
    process.exit(2);
  }
  const server = createServer((req, res) => {
    req.resume();
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': BODY.length });
    res.end(BODY);
  });
  server.keepAliveTimeout = 120_000;
  server.listen(port, host, () => {
    const address = server.address();
    process.stdout.write(`READY ${typeof address === 'object' && address ? address.port : port}\n`);
  });
  const stop = (): void => {
    server.close(() => process.exit(0));
    server.closeAllConnections();
    setTimeout(() => process.exit(0), 2000).unref();
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main();
