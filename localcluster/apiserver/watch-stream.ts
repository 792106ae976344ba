// Watch streams: newline-delimited JSON `{type, object}` events over a chunked response, with
// optional BOOKMARK events, a timeout, a 410 answered as an ERROR event (what client-go and
// @kubernetes/client-node relist on), and a cap on unsent bytes — a watcher that does not read
// is disconnected and will resume or relist.

import type { ServerResponse } from 'node:http';
import { ApiError, badRequest } from './errors';
import type { ResourceTarget } from './routes';
import { selectorPredicate } from './resource-handlers';
import type { ObjectPredicate, Store, StoreEvent } from './store';
import { apiVersionOf, ResourceType } from './types';

export interface WatchSettings {
  /** Interval of BOOKMARK events for watchers that allow them. */
  bookmarkIntervalMs: number;
  /** A watcher whose unsent output exceeds this is disconnected. */
  maxBufferedBytes: number;
  /** Used when the client gives no timeoutSeconds. */
  defaultTimeoutSeconds: number;
}

export const DEFAULT_WATCH_SETTINGS: WatchSettings = {
  bookmarkIntervalMs: 60_000, maxBufferedBytes: 16 * 1024 * 1024, defaultTimeoutSeconds: 1800,
};

export type Line = { type: string; object: unknown };

export class WatchHub {
  private readonly open = new Set<ServerResponse>();

  constructor(private readonly store: Store, private readonly settings: WatchSettings) {}

  /** Open watch streams right now. */
  get size(): number {
    return this.open.size;
  }

  /** Ends every open watch stream (clients resume from their last resourceVersion or relist). */
  closeAll(): void {
    for (const res of [...this.open]) res.end();
  }

  /**
   * Serves one watch; throws an ApiError (answered as a Status) only before anything is sent.
   * `transform` rewrites each event before it is sent (Table events for kubectl get -w).
   */
  serve(type: ResourceType, target: ResourceTarget, query: URLSearchParams, res: ServerResponse, transform?: (line: Line) => Line): void {
    const selected = selectorPredicate(query);
    const name = target.name;
    const predicate: ObjectPredicate | undefined = name === undefined ? selected : (o) => o.metadata.name === name && (!selected || selected(o));
    const timeoutText = query.get('timeoutSeconds');
    const timeoutSeconds = timeoutText ? Number(timeoutText) : this.settings.defaultTimeoutSeconds;
    if (!Number.isFinite(timeoutSeconds) || timeoutSeconds < 0) throw badRequest(`timeoutSeconds: invalid value ${JSON.stringify(timeoutText)}`);
    const bookmarks = query.get('allowWatchBookmarks') === 'true' || query.get('allowWatchBookmarks') === '1';
    const rv = query.get('resourceVersion') || undefined;
    const initialEventsEnd = bookmarks && query.get('sendInitialEvents') === 'true';

    const pending: Line[] = [];
    let write = (line: Line): void => { pending.push(line); };
    let unsubscribe: () => void;
    try {
      unsubscribe = this.store.watch(type, { namespace: target.namespace, predicate, resourceVersion: rv }, (e: StoreEvent) => write({ type: e.type, object: e.object }));
    } catch (err) {
      if (!(err instanceof ApiError) || err.code !== 410) throw err;
      this.startStream(res);
      res.end(`${JSON.stringify({ type: 'ERROR', object: err.toStatus() })}\n`);
      return;
    }
    this.startStream(res);
    this.open.add(res);
    const bookmark = (annotations?: Record<string, string>): Line => ({
      type: 'BOOKMARK',
      object: { kind: type.kind, apiVersion: apiVersionOf(type), metadata: { resourceVersion: this.store.resourceVersion(), ...(annotations ? { annotations } : {}) } },
    });
    write = (line) => {
      if (res.writableEnded || res.destroyed) return;
      res.write(`${JSON.stringify(transform ? transform(line) : line)}\n`);
      if (res.writableLength > this.settings.maxBufferedBytes) res.destroy();
    };
    for (const line of pending) write(line);
    if (initialEventsEnd) write(bookmark({ 'k8s.io/initial-events-end': 'true' }));
    const ticker = bookmarks ? setInterval(() => write(bookmark()), this.settings.bookmarkIntervalMs) : undefined;
    const timer = timeoutSeconds > 0 ? setTimeout(() => res.end(), timeoutSeconds * 1000) : undefined;
    res.once('close', () => {
      unsubscribe();
      if (ticker) clearInterval(ticker);
      if (timer) clearTimeout(timer);
      this.open.delete(res);
    });
  }

  private startStream(res: ServerResponse): void {
    res.writeHead(200, { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked', 'Cache-Control': 'no-cache, private' });
    res.flushHeaders();
  }
}
