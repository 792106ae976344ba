// The bench's HTTP backend: a Node http server answering every request with a fixed 1 KiB body,
// keep-alive on. Run as its own process: `node http-backend.js --port N`; prints `READY <port>`
// once listening and exits cleanly on SIGTERM / SIGINT.

import { createServer } from 'node:http';

const BODY = Buffer.alloc(1024, 'x');

function main(): void {
  const i = process.argv.indexOf('--port');
  const port = i >= 0 ? Number(process.argv[i + 1]) : 0;
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    process.stderr.write('usage: http-backend --port N\n');
    process.exit(2);
  }
  const server = createServer((req, res) => {
    req.resume();
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': BODY.length });
    res.end(BODY);
  });
  server.keepAliveTimeout = 120_000;
  server.listen(port, '127.0.0.1', () => {
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
