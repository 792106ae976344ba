// The two token endpoints: TokenRequest (POST .../serviceaccounts/<name>/token → a signed,
// optionally pod-bound token) and TokenReview (POST /apis/authentication.k8s.io/v1/tokenreviews
// → who a token belongs to, checked against the requested audiences and the bound objects).

import { API_AUDIENCE, Authenticator } from './auth';
import { badRequest, conflict } from './errors';
import { decodeBody, mediaType, objectBodyFormat } from './http-io';
import { timestamp } from './object-meta';
import type { Registry } from './registry';
import type { Store } from './store';
import type { ObjectBinding, TokenSigner } from './tokens';
import { isRecord, ResourceType } from './types';

interface TokenContext {
  store: Store;
  registry: Registry;
  signer: TokenSigner;
}

const DEFAULT_EXPIRATION_SECONDS = 3600;
const TOKEN_API = 'authentication.k8s.io/v1';

function strings(v: unknown, field: string): string[] | undefined {
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) throw badRequest(`${field}: must be a list of strings`);
  return v;
}

function body(raw: Buffer | undefined, contentType: string | undefined): Record<string, unknown> {
  if (!raw || raw.length === 0) return {};
  const decoded = decodeBody(raw, objectBodyFormat(mediaType(contentType)));
  if (!isRecord(decoded)) throw badRequest('the request body must be a JSON object');
  return decoded;
}

const coreType = (registry: Registry, plural: string): ResourceType => registry.find('', plural) as ResourceType;

export function tokenRequest(ctx: TokenContext, namespace: string, saName: string, raw: Buffer | undefined,
  contentType: string | undefined, dryRun: boolean): { status: number; body: unknown } {
  const request = body(raw, contentType);
  const spec = isRecord(request.spec) ? request.spec : {};
  const sa = ctx.store.get(coreType(ctx.registry, 'serviceaccounts'), namespace, saName);
  const audiences = strings(spec.audiences, 'spec.audiences') ?? [API_AUDIENCE];
  const expirationSeconds = spec.expirationSeconds ?? DEFAULT_EXPIRATION_SECONDS;
  if (typeof expirationSeconds !== 'number') throw badRequest('spec.expirationSeconds: must be an integer');
  let pod: ObjectBinding | undefined;
  let node: ObjectBinding | undefined;
  const ref = spec.boundObjectRef;
  if (isRecord(ref)) {
    const name = typeof ref.name === 'string' ? ref.name : '';
    const wantUid = typeof ref.uid === 'string' && ref.uid ? ref.uid : undefined;
    if (ref.kind === 'Pod') {
      const p = ctx.store.get(coreType(ctx.registry, 'pods'), namespace, name);
      if (wantUid && wantUid !== p.metadata.uid) throw conflict('', 'pods', name, `the UID in the bound object reference (${wantUid}) does not match the UID in record (${p.metadata.uid})`);
      const podSpec = isRecord(p.spec) ? p.spec : {};
      if ((podSpec.serviceAccountName ?? 'default') !== saName) {
        throw badRequest(`cannot bind token for serviceaccount "${saName}" to pod running with different serviceaccount name.`);
      }
      pod = { name, uid: p.metadata.uid ?? '' };
      const nodeObj = typeof podSpec.nodeName === 'string' ? ctx.store.tryGet(coreType(ctx.registry, 'nodes'), undefined, podSpec.nodeName) : undefined;
      if (nodeObj) node = { name: nodeObj.metadata.name ?? '', uid: nodeObj.metadata.uid ?? '' };
    } else if (ref.kind === 'Node') {
      const n = ctx.store.get(coreType(ctx.registry, 'nodes'), undefined, name);
      if (wantUid && wantUid !== n.metadata.uid) throw conflict('', 'nodes', name, `the UID in the bound object reference (${wantUid}) does not match the UID in record (${n.metadata.uid})`);
      node = { name, uid: n.metadata.uid ?? '' };
    } else {
      throw badRequest(`spec.boundObjectRef.kind: Unsupported value: ${JSON.stringify(ref.kind)}: supported values: "Pod", "Node"`);
    }
  }
  const now = new Date();
  const token = ctx.signer.issue({
    namespace, serviceAccountName: saName, serviceAccountUid: sa.metadata.uid ?? '', audiences, expirationSeconds, pod, node,
  }, now);
  return {
    status: 201,
    body: {
      kind: 'TokenRequest', apiVersion: TOKEN_API,
      metadata: { name: saName, namespace, creationTimestamp: timestamp(now) },
      spec: { ...spec, audiences, expirationSeconds },
      status: { token: dryRun ? '' : token, expirationTimestamp: timestamp(new Date(now.getTime() + expirationSeconds * 1000)) },
    },
  };
}

export function tokenReview(auth: Authenticator, raw: Buffer | undefined, contentType: string | undefined): { status: number; body: unknown } {
  const review = body(raw, contentType);
  const spec = isRecord(review.spec) ? review.spec : {};
  const token = typeof spec.token === 'string' ? spec.token : '';
  const audiences = strings(spec.audiences, 'spec.audiences');
  const result = token ? auth.review(token, audiences) : { authenticated: false as const, error: 'no token' };
  return {
    status: 201,
    body: {
      kind: 'TokenReview', apiVersion: TOKEN_API,
      metadata: { creationTimestamp: null },
      spec: { token, ...(audiences ? { audiences } : {}) },
      status: result.authenticated
        ? { authenticated: true, user: result.user, audiences: result.audiences }
        : { authenticated: false, user: {}, error: result.error },
    },
  };
}
