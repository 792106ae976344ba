// ztunnel's xDS metrics with Istio's names: messages and bytes received per type URL (counted as
// each response reaches its type handler; bytes are the resources' encoded size plus their names)
// and stream terminations by reason (from the client's disconnect events).

import type { Counter, Registry } from '../../pkg/telemetry/metrics';
import type { ApplyResult, TypeHandler, XdsResource } from '../../pkg/xds/types';

/** Istio's termination reasons: the stream closed by us, by the server, or by an error. */
export type TerminationReason = 'Complete' | 'Reconnect' | 'Error';

/** The reason label for a disconnect reported by the xDS client. */
export function terminationReason(disconnectReason: string): TerminationReason {
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

  /** Counts every response `handler` is given, then lets it decide. */
  wrap(handler: TypeHandler): TypeHandler {
    const url = handler.typeUrl;
    return {
      typeUrl: url,
      apply: (update: { readonly resources: readonly XdsResource[]; readonly removed: readonly string[] }): ApplyResult => {
        let size = 0;
        for (const r of update.resources) size += r.resource.value.length + Buffer.byteLength(r.name) + Buffer.byteLength(r.version);
        for (const name of update.removed) size += Buffer.byteLength(name);
        this.messages.inc({ url });
        this.bytes.inc({ url }, size);
        return handler.apply(update);
      },
      versions: () => handler.versions(),
    };
  }

  /** Records one stream ending (the client's `disconnected` event). */
  terminated(disconnectReason: string): void {
    this.terminations.inc({ reason: terminationReason(disconnectReason) });
  }
}
