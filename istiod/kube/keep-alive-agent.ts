// One keep-alive HTTPS agent per KubeConfig for istiod's long-lived Kubernetes traffic.
// client-node 1.3.0 builds a fresh https.Agent for every request (each watch, each list), so every
// re-watch after a server timeout pays a new TCP + TLS handshake. `keepAliveKubeConfig(kc)` returns
// a view of `kc` (its prototype is `kc`, so contexts, users and token refresh stay kc's own) whose
// fetch options (Watch) and API-client requests (makeApiClient) use one shared keep-alive agent
// built from the same TLS options. The agent is rebuilt when those options change (a rotated
// client certificate or CA); clusters behind a proxy keep client-node's own agents.

import { createHash } from 'node:crypto';
import https from 'node:https';
import type { KubeConfig } from './client';

type AgentLike = https.Agent | import('node:http').Agent | undefined;

const views = new WeakMap<KubeConfig, KubeConfig>();

function tlsFingerprint(options: https.AgentOptions): string {
  const { ca, cert, key, pfx, passphrase, rejectUnauthorized, servername } = options;
  const text = JSON.stringify([ca, cert, key, pfx, passphrase, rejectUnauthorized, servername], (_k, v: unknown) =>
    (Buffer.isBuffer(v) ? v.toString('base64') : v));
  return createHash('sha256').update(text).digest('hex');
}

/** The shared-agent view of `kc` (the same view for the same `kc`). */
export function keepAliveKubeConfig(kc: KubeConfig): KubeConfig {
  const existing = views.get(kc);
  if (existing) return existing;
  let shared: https.Agent | undefined;
  let sharedKey = '';

  /** The shared agent standing in for a per-request agent client-node just made (or that agent itself). */
  const substitute = (fresh: AgentLike): AgentLike => {
    if (!(fresh instanceof https.Agent) || kc.getCurrentCluster()?.proxyUrl) return fresh;
    const key = tlsFingerprint(fresh.options);
    if (!shared || key !== sharedKey) {
      // A replaced agent is not destroyed: watches still streaming on it end on their own.
      shared = new https.Agent({ ...fresh.options, keepAlive: true, keepAliveMsecs: 30_000 });
      sharedKey = key;
    }
    fresh.destroy();
    return shared;
  };

  const view = Object.create(kc) as KubeConfig;
  view.applyToFetchOptions = async (opts) => {
    const init = await kc.applyToFetchOptions(opts);
    const agent = typeof init.agent === 'function' ? init.agent : substitute(init.agent as AgentLike);
    return { ...init, agent };
  };
  view.applySecurityAuthentication = async (context) => {
    await kc.applySecurityAuthentication(context);
    const agent = substitute(context.getAgent());
    if (agent) context.setAgent(agent);
  };
  views.set(kc, view);
  return view;
}
