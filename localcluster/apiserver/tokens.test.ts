// Tests for ServiceAccount token issuing and TokenReview.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify } from 'node:crypto';
import { ApiError } from './errors';
import { TokenSigner, type BoundObjectRef, type TokenClaimsRequest, type TokenReviewStatus } from './tokens';

const b64 = (v: unknown): string => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');
const decode = (part: string): Record<string, unknown> =>
  JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as Record<string, unknown>;

const request: TokenClaimsRequest = {
  namespace: 'istio-system', serviceAccountName: 'ztunnel', serviceAccountUid: 'sa-uid',
  audiences: ['ambit-ca', 'https://kubernetes.default.svc.cluster.local'], expirationSeconds: 3600,
  pod: { name: 'ztunnel-abc', uid: 'pod-uid' }, node: { name: 'node-1', uid: 'node-uid' },
};
const T0 = new Date('2025-01-01T00:00:00Z');
const at = (seconds: number): Date => new Date(T0.getTime() + seconds * 1000);
const everything = (): boolean => true;

const signerPromise = TokenSigner.generate();

/** Signs arbitrary header/claims with the signer's own key (to craft hostile-but-signed tokens). */
function forge(signer: TokenSigner, header: unknown, claims: unknown): string {
  const input = `${b64(header)}.${b64(claims)}`;
  const sig = sign('sha256', Buffer.from(input), { key: createPrivateKey(signer.toPem()), dsaEncoding: 'ieee-p1363' });
  return `${input}.${sig.toString('base64url')}`;
}

const denied = (s: TokenReviewStatus, fragment: string): void => {
  assert.equal(s.authenticated, false, JSON.stringify(s));
  if (!s.authenticated) assert.ok(s.error.includes(fragment), `"${s.error}" should mention "${fragment}"`);
};

test('issued tokens carry Kubernetes bound-token claims', async () => {
  const signer = await signerPromise;
  const token = signer.issue(request, T0);
  const [h, p] = token.split('.');
  assert.deepEqual(decode(h), { alg: 'ES256', kid: signer.kid, typ: 'JWT' });
  const claims = decode(p);
  assert.equal(typeof claims.jti, 'string');
  assert.deepEqual({ ...claims, jti: 'x' }, {
    aud: request.audiences, iat: T0.getTime() / 1000, nbf: T0.getTime() / 1000, exp: T0.getTime() / 1000 + 3600,
    iss: 'https://kubernetes.default.svc.cluster.local', sub: 'system:serviceaccount:istio-system:ztunnel', jti: 'x',
    'kubernetes.io': { namespace: 'istio-system', serviceaccount: { name: 'ztunnel', uid: 'sa-uid' },
      pod: { name: 'ztunnel-abc', uid: 'pod-uid' }, node: { name: 'node-1', uid: 'node-uid' } },
  });
  assert.notEqual(decode(signer.issue(request, T0).split('.')[1]).jti, claims.jti, 'jti is unique');
});

test('the public JWK verifies issued tokens and its kid is the RFC 7638 thumbprint', async () => {
  const signer = await signerPromise;
  const jwk = signer.publicJwk();
  assert.equal(jwk.kty, 'EC');
  assert.equal(jwk.crv, 'P-256');
  assert.equal(jwk.d, undefined, 'no private part');
  const thumb = createHash('sha256').update(`{"crv":"P-256","kty":"EC","x":"${String(jwk.x)}","y":"${String(jwk.y)}"}`).digest('base64url');
  assert.equal(jwk.kid, thumb);
  const [h, p, s] = signer.issue(request, T0).split('.');
  const key = createPublicKey({ key: { kty: 'EC', crv: 'P-256', x: String(jwk.x), y: String(jwk.y) }, format: 'jwk' });
  assert.ok(verify('sha256', Buffer.from(`${h}.${p}`), { key, dsaEncoding: 'ieee-p1363' }, Buffer.from(s, 'base64url')));
});

test('a signer restored from PEM reviews tokens of the original', async () => {
  const signer = await signerPromise;
  const restored = TokenSigner.fromPem(signer.toPem());
  assert.equal(restored.kid, signer.kid);
  assert.equal(restored.review(signer.issue(request, T0), undefined, T0, everything).authenticated, true);
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
  assert.throws(() => TokenSigner.fromPem(rsa), /P-256/);
  const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' }).privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
  assert.throws(() => TokenSigner.fromPem(p384), /P-256/);
});

test('expirationSeconds outside [600, 2^32] is a 422 like TokenRequest', async () => {
  const signer = await signerPromise;
  for (const expirationSeconds of [0, 599, 2 ** 32 + 1, 1.5, Number.NaN]) {
    assert.throws(() => signer.issue({ ...request, expirationSeconds }, T0), (err: unknown) =>
      err instanceof ApiError && err.code === 422 && err.message.includes('spec.expirationSeconds'), String(expirationSeconds));
  }
  for (const expirationSeconds of [600, 2 ** 32]) assert.doesNotThrow(() => signer.issue({ ...request, expirationSeconds }, T0));
});

test('a valid token reviews as its service account with pod and node extras', async () => {
  const signer = await signerPromise;
  const token = signer.issue(request, T0);
  const jti = String(decode(token.split('.')[1]).jti);
  const seen: BoundObjectRef[] = [];
  const status = signer.review(token, ['ambit-ca', 'other'], at(10), (ref) => { seen.push(ref); return true; });
  assert.deepEqual(status, {
    authenticated: true,
    user: {
      username: 'system:serviceaccount:istio-system:ztunnel', uid: 'sa-uid',
      groups: ['system:serviceaccounts', 'system:serviceaccounts:istio-system', 'system:authenticated'],
      extra: {
        'authentication.kubernetes.io/pod-name': ['ztunnel-abc'], 'authentication.kubernetes.io/pod-uid': ['pod-uid'],
        'authentication.kubernetes.io/node-name': ['node-1'], 'authentication.kubernetes.io/node-uid': ['node-uid'],
        'authentication.kubernetes.io/credential-id': [`JTI=${jti}`],
      },
    },
    audiences: ['ambit-ca'],
  });
  assert.deepEqual(seen, [
    { namespace: 'istio-system', kind: 'ServiceAccount', name: 'ztunnel', uid: 'sa-uid' },
    { namespace: 'istio-system', kind: 'Pod', name: 'ztunnel-abc', uid: 'pod-uid' },
    { namespace: '', kind: 'Node', name: 'node-1', uid: 'node-uid' },
  ]);
  const plain = signer.issue({ ...request, pod: undefined, node: undefined }, T0);
  const s2 = signer.review(plain, undefined, T0, everything);
  assert.ok(s2.authenticated);
  assert.deepEqual(Object.keys(s2.user.extra), ['authentication.kubernetes.io/credential-id']);
  assert.deepEqual(s2.audiences, request.audiences, 'no audiences requested: the token\'s own');
});

test('review rejects tokens by time, audience and bound objects', async () => {
  const signer = await signerPromise;
  const token = signer.issue(request, T0);
  const cases: Array<[string, string[] | undefined, Date, (r: BoundObjectRef) => boolean, string | undefined]> = [
    ['fresh', undefined, T0, everything, undefined],
    ['within skew after expiry', undefined, at(3600 + 30), everything, undefined],
    ['expired', undefined, at(3600 + 61), everything, 'expired'],
    ['within skew before nbf', undefined, at(-30), everything, undefined],
    ['not valid yet', undefined, at(-120), everything, 'not valid yet'],
    ['no audience in common', ['something-else'], T0, everything, 'audience'],
    ['service account deleted', undefined, T0, (r) => r.kind !== 'ServiceAccount', 'service account'],
    ['pod replaced (uid differs)', undefined, T0, (r) => r.kind !== 'Pod' || r.uid === 'new-uid', 'pod'],
    ['node gone', undefined, T0, (r) => r.kind !== 'Node', 'node'],
    ['callback throws', undefined, T0, () => { throw new Error('store down'); }, 'store down'],
  ];
  for (const [name, audiences, now, exists, error] of cases) {
    const status = signer.review(token, audiences, now, exists);
    if (error === undefined) assert.equal(status.authenticated, true, name);
    else denied(status, error);
  }
});

test('review rejects hostile and malformed tokens without throwing', async () => {
  const signer = await signerPromise;
  const other = await TokenSigner.generate();
  const good = signer.issue(request, T0);
  const [h, p, s] = good.split('.');
  const claims = decode(p);
  const header = { alg: 'ES256', kid: signer.kid, typ: 'JWT' };
  const cases: Array<[string, unknown, string]> = [
    ['empty', '', 'no token'],
    ['not a string', 42, 'no token'],
    ['two segments', `${h}.${p}`, 'compact'],
    ['four segments', `${good}.x`, 'compact'],
    ['bad base64url', `${h}.${p}!.${s}`, 'base64url'],
    ['padded base64', `${h}.${p}.${s}=`, 'base64url'],
    ['oversize', `${h}.${b64({ pad: 'x'.repeat(20000) })}.${s}`, 'too large'],
    ['header not JSON', `${b64('nope')}.${p}.${s}`, 'header'],
    ['alg none', `${b64({ alg: 'none' })}.${p}.`, 'ES256'],
    ['alg HS256', `${b64({ alg: 'HS256' })}.${p}.${s}`, 'ES256'],
    ['alg missing', `${b64({ typ: 'JWT' })}.${p}.${s}`, 'ES256'],
    ['crit header', forge(signer, { ...header, crit: ['x'] }, claims), 'critical'],
    ['unknown kid', forge(signer, { ...header, kid: 'other' }, claims), 'unknown key'],
    ['signed by another key', other.issue(request, T0), 'unknown key'],
    ['signed by another key, no kid', (() => {
      const t = other.issue(request, T0).split('.');
      return `${b64({ alg: 'ES256' })}.${t[1]}.${t[2]}`;
    })(), 'signature'],
    ['payload swapped', `${h}.${b64({ ...claims, sub: 'system:serviceaccount:kube-system:admin' })}.${s}`, 'signature'],
    ['short signature', `${h}.${p}.${s.slice(0, 40)}`, 'signature'],
    ['wrong issuer', forge(signer, header, { ...claims, iss: 'https://evil' }), 'issuer'],
    ['no exp', forge(signer, header, { ...claims, exp: undefined }), 'expiry'],
    ['string exp', forge(signer, header, { ...claims, exp: '9999999999' }), 'expiry'],
    ['claims not an object', forge(signer, header, [1]), 'claims'],
    ['no kubernetes.io claim', forge(signer, header, { ...claims, 'kubernetes.io': undefined }), 'kubernetes.io'],
    ['sub disagrees with claim', forge(signer, header, { ...claims, sub: 'system:serviceaccount:x:y' }), 'subject'],
    ['malformed pod binding', forge(signer, header, { ...claims, 'kubernetes.io': { ...(claims['kubernetes.io'] as object), pod: 'p' } }), 'bound object'],
    ['bad aud', forge(signer, header, { ...claims, aud: [1] }), 'audience'],
  ];
  for (const [name, token, fragment] of cases) {
    let status: TokenReviewStatus | undefined;
    assert.doesNotThrow(() => { status = signer.review(token as string, undefined, T0, everything); }, name);
    assert.ok(status, name);
    denied(status, fragment);
  }
  const forgedOk = forge(signer, header, { ...claims, aud: 'ambit-ca' });
  assert.equal(signer.review(forgedOk, ['ambit-ca'], T0, everything).authenticated, true, 'string aud is accepted');
});
