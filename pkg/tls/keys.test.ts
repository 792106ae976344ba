// Tests for key generation and PEM key import (PKCS#8, SEC1, PKCS#1; EC P-256/P-384, RSA) and the
// refusals for keys the mesh cannot sign with.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createPrivateKey, generateKeyPairSync, webcrypto } from 'node:crypto';
import { isMeshError } from '../errors/mesh-error';
import { generateP256Key, importPrivateKey } from './keys';
import { newTestKey } from './test-pki';

async function signsAndVerifies(key: Awaited<ReturnType<typeof importPrivateKey>>): Promise<boolean> {
  const data = Buffer.from('mesh');
  const alg = key.algorithm === 'RSA' ? { name: 'RSASSA-PKCS1-v1_5' } : { name: 'ECDSA', hash: key.algorithm === 'ECDSA-P384' ? 'SHA-384' : 'SHA-256' };
  const sig = await webcrypto.subtle.sign(alg, key.privateKey, data);
  return webcrypto.subtle.verify(alg, key.publicKey, sig, data);
}

test('generateP256Key gives a usable P-256 key with a PKCS#8 PEM', async () => {
  const key = await generateP256Key();
  assert.equal(key.algorithm, 'ECDSA-P256');
  assert.match(key.pem, /^-----BEGIN PRIVATE KEY-----\n/);
  const obj = createPrivateKey(key.pem);
  assert.equal(obj.asymmetricKeyType, 'ec');
  assert.equal(obj.asymmetricKeyDetails?.namedCurve, 'prime256v1');
  assert.ok(await signsAndVerifies(key));
  const other = await generateP256Key();
  assert.notEqual(other.pem, key.pem);
});

test('importPrivateKey accepts PKCS#8, SEC1 and PKCS#1 and normalises to PKCS#8', async () => {
  for (const kind of ['ec-p256', 'ec-p384', 'rsa'] as const) {
    const generated = await newTestKey(kind);
    const expected = kind === 'ec-p256' ? 'ECDSA-P256' : kind === 'ec-p384' ? 'ECDSA-P384' : 'RSA';
    assert.match(generated.legacyPem, kind === 'rsa' ? /BEGIN RSA PRIVATE KEY/ : /BEGIN EC PRIVATE KEY/);
    for (const pem of [generated.legacyPem, generated.pem]) {
      const key = await importPrivateKey(pem);
      assert.equal(key.algorithm, expected, kind);
      assert.match(key.pem, /^-----BEGIN PRIVATE KEY-----\n/);
      assert.equal(key.pem, generated.pem, `${kind}: same PKCS#8 whatever the input encoding`);
      assert.ok(await signsAndVerifies(key), kind);
    }
  }
});

test('importPrivateKey refuses unsupported and broken keys with InvalidArgument', async () => {
  const ed = generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const k1 = generateKeyPairSync('ec', { namedCurve: 'secp256k1' }).privateKey.export({ type: 'sec1', format: 'pem' }).toString();
  const smallRsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
  const encrypted = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey
    .export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'secret' }).toString();
  const cases: [string, RegExp][] = [
    [ed, /ed25519 is not supported/],
    [k1, /curve secp256k1 is not supported/],
    [smallRsa, /1024 bits is too small/],
    [encrypted, /encrypted private keys are not supported/],
    ['not a key', /expected a PEM/],
    ['-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n', /does not hold a readable private key/],
    ['', /expected a PEM/],
  ];
  for (const [pem, why] of cases) {
    await assert.rejects(importPrivateKey(pem), (err: unknown) => {
      assert.ok(isMeshError(err, 'InvalidArgument'), String(err));
      assert.match(err.message, why);
      return true;
    });
  }
});
