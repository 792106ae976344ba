// The waypoint's xDS metrics with Istio's names: responses and bytes received per type URL
// (counted as each response reaches its handler) and stream terminations by reason.

import type { Counter, Registry } from '../../pkg/telemetry/metrics';
import type { ApplyResult, TypeHandler, XdsResource } from '../../pkg/xds/types';

/** Istio's termination reasons: closed by us, by the server, or by an error. */
export function terminationReason(disconnectReason: string): 'Complete' | 'Reconnect' | 'Error' {
  if (disconnectReason === 'closed') return 'Complete';
  if (disconnectReason === 'the server ended the stream') return 'Reconnect';
  return 'Error';
}

export class XdsMetrics {
  private readonly terminations: Counter;
  private readonly messages: Counter;
  private readonly bytes: Counter;

  constructor(registry: Registry) {
    this.terminations = registry.counter('istio_xds_connection_terminations_total', 'xDS stream terminations by reason', ['reason']);
    this.messages = registry.counter('istio_xds_message_total', 'xDS responses received, by type URL', ['url']);
    this.bytes = registry.counter('istio_xds_message_bytes_total', 'Bytes of xDS resources received, by type URL', ['url']);
  }

  /** Counts every response `handler` is given, then lets it decide; its `resourceNames` are kept. */
  wrap(handler: TypeHandler & { readonly resourceNames?: readonly string[] }): TypeHandler & { readonly resourceNames?: readonly string[] } {
    const url = handler.typeUrl;
    const apply = (update: { readonly resources: readonly XdsResource[]; readonly removed: readonly string[] }): ApplyResult => {
      let size = 0;
      for (const r of update.resources) size += r.resource.value.length + Buffer.byteLength(r.name) + Buffer.byteLength(r.version);
      for (const name of update.removed) size += Buffer.byteLength(name);
      this.messages.inc({ url });
      this.bytes.inc({ url }, size);
      return handler.apply(update);
    };
    return Object.freeze({
      ...(handler.resourceNames ? { resourceNames: handler.resourceNames } : {}),
      typeUrl: url,
      apply,
      versions: () => handler.versions(),
    });
  }

  terminated(disconnectReason: string): void {
    this.terminations.inc({ reason: terminationReason(disconnectReason) });
  }
}
