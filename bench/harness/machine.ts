// Describes the machine and the source a result was measured on: CPU model, cores, memory,
// kernel, OS, Node and OpenSSL versions, versions of the external tools, and the git commit.

import { readFile } from 'node:fs/promises';
import { cpus, release, totalmem } from 'node:os';
import { execQuiet } from './exec';

export interface ToolVersionQuery {
  readonly name: string;
  readonly command: string;
  readonly args: readonly string[];
  /** The output line to keep (default: the first non-empty one). */
  readonly line?: RegExp;
}

export interface MachineDescription {
  readonly cpuModel: string;
  readonly cores: number;
  readonly memoryGiB: number;
  readonly kernel: string;
  readonly os: string;
  readonly node: string;
  /** The OpenSSL Node is built with (what the HBONE agents use). */
  readonly nodeOpenssl: string;
  /** `openssl version` of the system (what stunnel links against). */
  readonly systemOpenssl: string;
  readonly tools: Readonly<Record<string, string>>;
}

export interface GitState {
  readonly commit: string;
  /** True when the work tree had changes (the figures may not match the commit exactly). */
  readonly dirty: boolean;
}

/** The `model name` of the first processor in /proc/cpuinfo text. */
export function parseCpuModel(cpuinfo: string): string | undefined {
  const m = /^model name\s*:\s*(.+)$/m.exec(cpuinfo);
  return m ? m[1].trim() : undefined;
}

/** PRETTY_NAME from /etc/os-release text. */
export function parseOsRelease(text: string): string | undefined {
  const m = /^PRETTY_NAME=(.*)$/m.exec(text);
  return m ? m[1].trim().replace(/^"(.*)"$/, '$1') : undefined;
}

async function readText(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch {
    return '';
  }
}

/** First non-empty line of a version command's output (some tools print to stderr). */
async function versionOf(q: ToolVersionQuery): Promise<string> {
  const r = await execQuiet(q.command, q.args);
  if (!r) return 'not installed';
  const line = `${r.stdout}\n${r.stderr}`.split('\n').map((l) => l.trim()).find((l) => l.length > 0 && (q.line === undefined || q.line.test(l)));
  return line ?? 'unknown';
}

export async function describeMachine(tools: readonly ToolVersionQuery[]): Promise<MachineDescription> {
  const toolVersions: Record<string, string> = {};
  for (const t of tools) toolVersions[t.name] = await versionOf(t);
  return {
    cpuModel: parseCpuModel(await readText('/proc/cpuinfo')) ?? cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    kernel: release(),
    os: parseOsRelease(await readText('/etc/os-release')) ?? 'unknown',
    node: process.version,
    nodeOpenssl: process.versions.openssl ?? 'unknown',
    systemOpenssl: await versionOf({ name: 'openssl', command: 'openssl', args: ['version'] }),
    tools: toolVersions,
  };
}

/** The checked-out commit and whether the tree is dirty (read-only git commands). */
export async function gitState(repoRoot: string): Promise<GitState> {
  const head = await execQuiet('git', ['rev-parse', 'HEAD'], { cwd: repoRoot });
  const status = await execQuiet('git', ['status', '--porcelain', '--untracked-files=no'], { cwd: repoRoot });
  return {
    commit: head && head.code === 0 ? head.stdout.trim() : 'unknown',
    dirty: status ? status.code !== 0 || status.stdout.trim().length > 0 : true,
  };
}
