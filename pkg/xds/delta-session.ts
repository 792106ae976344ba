// The pure half of the delta xDS client: the subscription requests that open a stream and the
// ACK/NACK answer to each response (apply through the type's handler, NACK on any problem).
// No sockets, no timers: client.ts feeds it responses and writes what it returns.

import { NACK_CODE } from './delta-messages';
import type { DeltaDiscoveryRequest, DeltaDiscoveryResponse, TypeHandler, XdsNode } from './types';

/** One subscription per handler type (wildcard unless it names resources); only the first request carries the node. */
export function subscriptionRequests(handlers: readonly TypeHandler[], node: XdsNode): DeltaDiscoveryRequest[] {
  return handlers.map((h, i) => ({
    ...(i === 0 ? { node } : {}),
    typeUrl: h.typeUrl,
    resourceNamesSubscribe: [...(h.resourceNames ?? [])],
    resourceNamesUnsubscribe: [],
    initialResourceVersions: Object.fromEntries(h.versions()),
    responseNonce: '',
  }));
}

export interface ResponseOutcome {
  /** The ACK or NACK to send. */
  readonly reply: DeltaDiscoveryRequest;
  /** Whether the handler applied the response. */
  readonly applied: boolean;
  /** The NACK message, when not applied. */
  readonly error?: string;
  /** The handler that took (or refused) it; undefined for a type nobody subscribed to. */
  readonly handler?: TypeHandler;
}

function ack(typeUrl: string, nonce: string): DeltaDiscoveryRequest {
  return { typeUrl, resourceNamesSubscribe: [], resourceNamesUnsubscribe: [], initialResourceVersions: {}, responseNonce: nonce };
}

function nack(typeUrl: string, nonce: string, message: string, handler?: TypeHandler): ResponseOutcome {
  return {
    reply: { ...ack(typeUrl, nonce), errorDetail: { code: NACK_CODE, message } },
    applied: false,
    error: message,
    ...(handler ? { handler } : {}),
  };
}

/** Applies one response through its type's handler (all or nothing) and says how to answer it. */
export function handleResponse(handlers: readonly TypeHandler[], res: DeltaDiscoveryResponse): ResponseOutcome {
  const handler = handlers.find((h) => h.typeUrl === res.typeUrl);
  if (!handler) return nack(res.typeUrl, res.nonce, `no subscription for type ${JSON.stringify(res.typeUrl)}`);
  const wrong = res.resources.find((r) => r.resource.typeUrl !== res.typeUrl);
  if (wrong) {
    return nack(res.typeUrl, res.nonce, `resource ${JSON.stringify(wrong.name)} has type ${JSON.stringify(wrong.resource.typeUrl)}, not the response's ${JSON.stringify(res.typeUrl)}`, handler);
  }
  let result;
  try {
    result = handler.apply({ resources: res.resources, removed: res.removedResources });
  } catch (err) {
    return nack(res.typeUrl, res.nonce, `handler failed: ${err instanceof Error ? err.message : String(err)}`, handler);
  }
  if (!result.ok) return nack(res.typeUrl, res.nonce, result.error, handler);
  return { reply: ack(res.typeUrl, res.nonce), applied: true, handler };
}
