// Compiles ztunnel's one native piece (ztunnel/net/transparent.c, a Node-API addon that makes
// IP_TRANSPARENT sockets) into dist/ztunnel/net/transparent.node with the system C compiler.
// Skips the work when the output is newer than the source. Node-API is ABI-stable, so the result
// works with any Node >= 20 on this machine.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const source = join(root, 'ztunnel', 'net', 'transparent.c');
const output = join(root, 'dist', 'ztunnel', 'net', 'transparent.node');

function headerDir() {
  const candidates = [
    process.env.npm_config_nodedir && join(process.env.npm_config_nodedir, 'include', 'node'),
    join(dirname(dirname(process.execPath)), 'include', 'node'),
    '/usr/include/node',
    '/usr/local/include/node',
  ].filter(Boolean);
  return candidates.find((d) => existsSync(join(d, 'node_api.h')));
}

if (existsSync(output) && statSync(output).mtimeMs >= statSync(source).mtimeMs) process.exit(0);
const include = headerDir();
if (!include) {
  console.error('build-native: node_api.h not found (install Node.js with its headers, e.g. the nodejs.org build or Debian libnode-dev)');
  process.exit(1);
}
mkdirSync(dirname(output), { recursive: true });
const cc = process.env.CC || 'cc';
const r = spawnSync(cc, ['-O2', '-Wall', '-Wextra', '-Werror', '-shared', '-fPIC', '-DNODE_GYP_MODULE_NAME=transparent',
  `-I${include}`, '-o', output, source], { stdio: 'inherit' });
if (r.error) {
  console.error(`build-native: cannot run ${cc}: ${r.error.message} (apt-get install gcc libc6-dev)`);
  process.exit(1);
}
process.exit(r.status ?? 1);
