// What crossed the wire during a step of the demo: tcpdump on a node's link to the cluster bridge
// (every packet between that node and the others passes it) while the step runs, summarised as the TCP ports seen and whether
// any HTTP request line was readable. Skipped, with a hint, when tcpdump is not installed.

import { execFile, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface WireCheck<T> {
  readonly result: T;
  /** One paragraph for the user, or '' when nothing could be captured. */
  readonly summary: string;
}

/** The server ports (the lower of the two ports of each packet) and whether HTTP was readable. */
export function summariseDump(text: string): { ports: Map<number, number>; clearHttp: boolean } {
  const ports = new Map<number, number>();
  for (const m of text.matchAll(/ IP \d+\.\d+\.\d+\.\d+\.(\d+) > \d+\.\d+\.\d+\.\d+\.(\d+):/g)) {
    const port = Math.min(Number(m[1]), Number(m[2]));
    ports.set(port, (ports.get(port) ?? 0) + 1);
  }
  return { ports, clearHttp: /GET \/\S* HTTP\/1\.1/.test(text) };
}

export async function wireCheck<T>(link: string, step: () => Promise<T>): Promise<WireCheck<T>> {
  const dir = await mkdtemp(join(tmpdir(), 'ambit-demo-'));
  const file = join(dir, 'wire.pcap');
  const dump = spawn('tcpdump', ['-i', link, '-nn', '-U', '--immediate-mode', '-s', '0', '-w', file, 'tcp'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let started = false;
  const listening = new Promise<boolean>((resolve) => {
    dump.on('error', () => resolve(false));
    dump.stderr.on('data', (d: Buffer) => { if (!started && d.toString().includes('listening on')) { started = true; resolve(true); } });
    dump.on('exit', () => resolve(false));
  });
  try {
    if (!(await listening)) return { result: await step(), summary: '(install tcpdump to see what crosses the wire between the nodes)' };
    const result = await step();
    await new Promise((r) => setTimeout(r, 300));
    dump.kill('SIGINT');
    await new Promise((r) => dump.once('exit', r));
    const { stdout } = await run('tcpdump', ['-nn', '-A', '-r', file], { maxBuffer: 64 * 1024 * 1024 });
    const { ports, clearHttp } = summariseDump(stdout);
    const seen = [...ports].sort((a, b) => b[1] - a[1]).map(([p, n]) => `port ${p}: ${n} packets`).join(', ');
    const summary = `on the link between the client's node and the others (tcpdump -i ${link}): ${seen || 'no packets'}; `
      + (clearHttp ? 'an HTTP request line WAS readable in clear' : 'no HTTP request readable in clear — only TLS (HBONE)');
    return { result, summary };
  } finally {
    if (dump.exitCode === null) dump.kill('SIGKILL');
    await rm(dir, { recursive: true, force: true });
  }
}
