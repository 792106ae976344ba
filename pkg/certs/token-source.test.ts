// Token sources: a token file re-read when it changes, a static token, and the errors a user sees
// when the token is missing or unusable.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ErrorCode, isMeshError } from '../errors/mesh-error';
import { DEFAULT_TOKEN_PATH, FileTokenSource, staticTokenSource } from './token-source';

async function tempDir(t: { after(fn: () => Promise<void>): void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'ambit-token-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

const unauthenticated = (pattern: RegExp) => (err: unknown) => isMeshError(err, ErrorCode.Unauthenticated) && pattern.test(err.message);

test('a token file is read, trimmed, and re-read when it changes', async (t) => {
  const dir = await tempDir(t);
  const path = join(dir, 'istio-token');
  await writeFile(path, 'first.jwt.token\n');
  const source = new FileTokenSource(path);
  assert.equal(await source.token(), 'first.jwt.token');
  assert.equal(await source.token(), 'first.jwt.token');
  await writeFile(path, 'second.jwt.token-rotated\n');
  // Set a distinct modification time so the change is seen even on coarse-grained file systems.
  const later = new Date(Date.now() + 5_000);
  await utimes(path, later, later);
  assert.equal(await source.token(), 'second.jwt.token-rotated');
});

test('concurrent callers share one read', async (t) => {
  const dir = await tempDir(t);
  const path = join(dir, 'istio-token');
  await writeFile(path, 'abc');
  const source = new FileTokenSource(path);
  const tokens = await Promise.all([source.token(), source.token(), source.token()]);
  assert.deepEqual(tokens, ['abc', 'abc', 'abc']);
});

test('a missing token file is a clear Unauthenticated error naming the path', async (t) => {
  const dir = await tempDir(t);
  const path = join(dir, 'nope');
  await assert.rejects(new FileTokenSource(path).token(), unauthenticated(/does not exist/));
  await assert.rejects(new FileTokenSource(path).token(), (err: unknown) => isMeshError(err) && err.message.includes(path));
});

test('an empty or unusable token file is refused', async (t) => {
  const dir = await tempDir(t);
  const path = join(dir, 'istio-token');
  await writeFile(path, '  \n');
  const source = new FileTokenSource(path);
  await assert.rejects(source.token(), unauthenticated(/is empty/));
  await writeFile(path, 'two words');
  const later = new Date(Date.now() + 5_000);
  await utimes(path, later, later);
  await assert.rejects(source.token(), unauthenticated(/authorization header/));
  await assert.rejects(new FileTokenSource(dir).token(), unauthenticated(/not a regular file/));
});

test('the default path is the projected istio-ca token', () => {
  assert.equal(new FileTokenSource().path, DEFAULT_TOKEN_PATH);
  assert.equal(DEFAULT_TOKEN_PATH, '/var/run/secrets/tokens/istio-token');
});

test('a static token is returned trimmed; an empty one is refused', async () => {
  assert.equal(await staticTokenSource(' abc.def \n').token(), 'abc.def');
  await assert.rejects(staticTokenSource('').token(), unauthenticated(/empty/));
});
