// Root-only: container bind mounts on a real network namespace. A container sees a read-only
// projected volume (writes fail with EROFS) and a writable emptyDir at their mount paths, follows
// an atomic `..data` swap of the volume without restarting, the host sees none of the mounts,
// a mount path under /proc is refused, and the mount points created on the host are removed.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeVolumeFiles } from '../../localcluster/kubelet/atomic-writer';
import { logDir, logFileName } from '../../localcluster/runtime/names';
import { startContainer, type ContainerState, type RunningContainer } from '../../localcluster/runtime/processes';
import { removeCreatedMountpoints } from '../../localcluster/runtime/sa-mountpoint';

const skip = typeof process.getuid === 'function' && process.getuid() !== 0 ? 'needs root (network and mount namespaces)' : false;

async function waitFor<T>(what: string, probe: () => T | undefined, limitMs = 20_000): Promise<T> {
  const deadline = Date.now() + limitMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const hostMounts = (): string => execFileSync('findmnt', ['-rn', '-o', 'TARGET'], { encoding: 'utf8' });

// Reads the token, tries to write next to it, writes into the scratch dir, then waits for the
// token to change (the volume is swapped underneath it) and exits.
const READER = `const fs=require('fs');const [tok,scratch]=process.argv.slice(1);
const first=fs.readFileSync(tok+'/istio-token','utf8');console.log('first:'+first);
try{fs.writeFileSync(tok+'/x','y');console.log('write:ok')}catch(e){console.log('write:'+e.code)}
fs.writeFileSync(scratch+'/out','from-container');
const t=setInterval(()=>{const now=fs.readFileSync(tok+'/istio-token','utf8');if(now!==first){console.log('second:'+now);clearInterval(t)}},50);`;

describe('container bind mounts', { skip }, () => {
  const id = randomBytes(3).toString('hex');
  const netns = `ambmnt${id}`;
  const root = `/var/run/ambit-mounts-test-${id}`;
  const stateDir = mkdtempSync(join(tmpdir(), 'ambit-mounts-'));
  const tokenDir = join(stateDir, 'pods', 'u', 'volumes', 'istio-token');
  const scratchDir = join(stateDir, 'pods', 'u', 'volumes', 'scratch');
  const running: RunningContainer[] = [];
  const run = (name: string, mounts: { hostDir: string; mountPath: string; readOnly: boolean }[], command: string[]) => {
    const states: ContainerState[] = [];
    const c = startContainer(stateDir, {
      podUID: 'u', namespace: 'test', podName: 'reader', containerName: name, netns, command, env: {}, mounts, restartPolicy: 'Never',
    }, (s) => states.push(s));
    running.push(c);
    return { c, states, log: () => { try { return readFileSync(join(logDir(stateDir), logFileName('test', 'reader', name)), 'utf8'); } catch { return ''; } } };
  };

  before(async () => {
    execFileSync('ip', ['netns', 'add', netns]);
    mkdirSync(scratchDir, { recursive: true });
    await writeVolumeFiles(tokenDir, [{ path: 'istio-token', data: Buffer.from('T1'), mode: 0o600 }]);
  });

  after(async () => {
    await Promise.allSettled(running.map((c) => c.stop(500)));
    await removeCreatedMountpoints(stateDir).catch(() => undefined);
    execFileSync('ip', ['netns', 'del', netns]);
    rmSync(stateDir, { recursive: true, force: true });
    rmSync(root, { recursive: true, force: true });
  });

  test('a container sees its volumes at their mount paths, read-only where asked, and follows an atomic swap', async () => {
    const tokens = `${root}/secrets/tokens`;
    const scratch = `${root}/scratch`;
    const reader = run('reader', [
      { hostDir: tokenDir, mountPath: tokens, readOnly: true },
      { hostDir: scratchDir, mountPath: scratch, readOnly: false },
    ], [process.execPath, '-e', READER, tokens, scratch]);
    await waitFor('the first read', () => (reader.log().includes('write:') ? true : undefined));
    assert.match(reader.log(), /first:T1\nwrite:EROFS\n/);
    assert.equal(readFileSync(join(scratchDir, 'out'), 'utf8'), 'from-container', 'the emptyDir is writable and shared with the host directory');
    assert.ok(existsSync(tokens), 'the mount point exists on the host');
    assert.doesNotMatch(hostMounts(), new RegExp(root), 'the mounts stay inside the container');

    await writeVolumeFiles(tokenDir, [{ path: 'istio-token', data: Buffer.from('T2'), mode: 0o600 }]);
    await waitFor('the swapped token', () => (reader.log().includes('second:') ? true : undefined));
    assert.match(reader.log(), /second:T2\n/);
    const end = await waitFor('the exit', () => reader.states.find((s) => s.state === 'terminated'));
    assert.equal(end.state === 'terminated' && end.exitCode, 0);
  });

  test('a mount path under /proc is refused before the container runs', async () => {
    const bad = run('bad', [{ hostDir: tokenDir, mountPath: '/proc/ambit', readOnly: true }], ['true']);
    const state = await waitFor('the refusal', () => bad.states.find((s) => s.state === 'waiting' && s.reason === 'StartError'));
    assert.match(state.state === 'waiting' ? state.message ?? '' : '', /mount path "\/proc\/ambit" must not be \/proc or under it/);
    await bad.c.stop(100);
  });

  test('mount points created on the host are removed once nothing uses them', async () => {
    await Promise.allSettled(running.map((c) => c.stop(500)));
    await removeCreatedMountpoints(stateDir);
    assert.equal(existsSync(root), false);
  });
});
