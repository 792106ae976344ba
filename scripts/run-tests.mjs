// Runs the test tiers on the compiled output in dist/: unit (beside the code), integration
// (test/integration, loopback) and netns (test/netns, root only: real network namespaces).
// Usage: node scripts/run-tests.mjs [unit|integration|netns ...]   (default: all three)
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const dist = join(root, 'dist');
const unitDirs = ['pkg', 'istiod', 'ztunnel', 'waypoint', 'cli', 'localcluster', 'bench'];

function testFiles(dir) {
  if (!existsSync(dir)) return [];
  const out = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...testFiles(p));
    else if (name.endsWith('.test.js')) out.push(p);
  }
  return out.sort();
}

function whyNetnsCannotRun() {
  if (typeof process.getuid === 'function' && process.getuid() !== 0) return 'it needs root (network namespaces, veth, iptables)';
  for (const [bin, pkg] of [['ip', 'iproute2'], ['iptables', 'iptables'], ['curl', 'curl']]) {
    const r = spawnSync('sh', ['-c', `command -v ${bin}`]);
    if (r.status !== 0) return `'${bin}' is missing (apt-get install ${pkg})`;
  }
  return null;
}

const tiers = {
  unit: { files: () => unitDirs.flatMap((d) => testFiles(join(dist, d))), concurrency: 2, timeout: 60_000 },
  integration: { files: () => testFiles(join(dist, 'test', 'integration')), concurrency: 1, timeout: 180_000 },
  netns: { files: () => testFiles(join(dist, 'test', 'netns')), concurrency: 1, timeout: 600_000, skip: whyNetnsCannotRun },
};

const wanted = process.argv.slice(2).length ? process.argv.slice(2) : Object.keys(tiers);
let failed = false;
for (const name of wanted) {
  const tier = tiers[name];
  if (!tier) { console.error(`unknown tier '${name}' (use ${Object.keys(tiers).join(', ')})`); process.exit(2); }
  const why = tier.skip?.();
  if (why) { console.log(`\n=== ${name} tier SKIPPED: ${why} ===`); continue; }
  const files = tier.files();
  if (!files.length) { console.log(`\n=== ${name} tier: no tests (run 'npm run build' first?) ===`); continue; }
  console.log(`\n=== ${name} tier: ${files.length} file(s) ===`);
  const started = Date.now();
  const r = spawnSync(process.execPath, [
    '--test', `--test-concurrency=${tier.concurrency}`, `--test-timeout=${tier.timeout}`,
    '--test-reporter=spec', ...files.map((f) => relative(root, f)),
  ], { cwd: root, stdio: 'inherit', env: { ...process.env, AMBIT_TEST_TIER: name } });
  console.log(`=== ${name} tier ${r.status === 0 ? 'passed' : 'FAILED'} in ${((Date.now() - started) / 1000).toFixed(1)} s ===`);
  if (r.status !== 0) failed = true;
}
process.exit(failed ? 1 : 0);
