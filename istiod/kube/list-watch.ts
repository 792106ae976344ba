// The list-then-watch loop behind every CaKube watch: list (remembering the resourceVersion), watch
// from it, resume after a clean close, relist after 410 Gone, and back off (with jitter) after
// errors. Transport-free: the list and watch calls are supplied by the caller.

import { describeError } from '../../pkg/errors/mesh-error';
import type { Logger } from '../../pkg/log/logger';
import type { WatchHandlers, Watcher } from './types';

export interface ListWatchSource<T> {
  /** What is watched, for log lines (e.g. "namespaces"). */
  readonly what: string;
  list(): Promise<{ items: unknown[]; resourceVersion: string }>;
  /** Opens a watch from `resourceVersion`; `onDone` is called once when it ends (null = clean close). */
  watch(resourceVersion: string, onEvent: (type: string, object: unknown) => void, onDone: (err: unknown) => void): Promise<{ abort(): void }>;
  /** Plain data from a listed item or a watch event object; undefined skips it. */
  convert(object: unknown): T | undefined;
  key(item: T): string;
}

export interface BackoffSettings {
  readonly initialMs: number;
  readonly maxMs: number;
}

export const DEFAULT_BACKOFF: BackoffSettings = Object.freeze({ initialMs: 200, maxMs: 30_000 });

type WatchEnd = { kind: 'closed' } | { kind: 'gone' } | { kind: 'error'; err: unknown };

function resourceVersionOf(object: unknown): string | undefined {
  if (typeof object !== 'object' || object === null) return undefined;
  const meta = (object as { metadata?: { resourceVersion?: unknown } }).metadata;
  return typeof meta?.resourceVersion === 'string' ? meta.resourceVersion : undefined;
}

function errorStatusCode(object: unknown): number | undefined {
  if (typeof object !== 'object' || object === null) return undefined;
  const code = (object as { code?: unknown }).code;
  return typeof code === 'number' ? code : undefined;
}

export function startListWatch<T>(source: ListWatchSource<T>, handlers: WatchHandlers<T>, logger: Logger,
  backoff: BackoffSettings = DEFAULT_BACKOFF): Watcher {
  let stopped = false;
  let abortCurrent: (() => void) | undefined;
  let wake: (() => void) | undefined;
  let resolveSynced: () => void = () => undefined;
  const synced = new Promise<void>((resolve) => { resolveSynced = resolve; });
  const known = new Map<string, T>();
  let delayMs = backoff.initialMs;

  const sleep = (ms: number): Promise<void> => new Promise((resolve) => {
    const timer = setTimeout(() => { wake = undefined; resolve(); }, ms);
    wake = () => { clearTimeout(timer); wake = undefined; resolve(); };
  });
  const backOff = async (why: string): Promise<void> => {
    const jittered = Math.round(delayMs * (0.8 + Math.random() * 0.4));
    logger.warn(`watch ${source.what}: ${why}; retrying in ${jittered} ms`);
    await sleep(jittered);
    delayMs = Math.min(delayMs * 2, backoff.maxMs);
  };
  const safely = (fn: () => void): void => {
    try { fn(); } catch (err) { logger.error(`watch ${source.what}: handler failed: ${describeError(err)}`); }
  };

  const applyList = (items: unknown[]): void => {
    const fresh = new Map<string, T>();
    for (const raw of items) {
      const item = source.convert(raw);
      if (item !== undefined) fresh.set(source.key(item), item);
    }
    const gone = [...known.entries()].filter(([k]) => !fresh.has(k)).map(([, v]) => v);
    known.clear();
    for (const [k, v] of fresh) known.set(k, v);
    safely(() => handlers.synced?.([...fresh.values()]));
    for (const item of gone) safely(() => handlers.deleted?.(item));
  };

  const watchOnce = (rv: { value: string }): Promise<WatchEnd> => new Promise((resolve) => {
    let ended = false;
    let abortHandle: (() => void) | undefined;
    const end = (outcome: WatchEnd): void => { if (!ended) { ended = true; abortHandle?.(); resolve(outcome); } };
    abortCurrent = () => end({ kind: 'closed' });
    const onEvent = (type: string, object: unknown): void => {
      if (ended || stopped) return;
      if (type === 'ERROR') {
        end(errorStatusCode(object) === 410 ? { kind: 'gone' } : { kind: 'error', err: new Error(`watch error event: ${JSON.stringify(object)}`) });
        return;
      }
      const version = resourceVersionOf(object);
      if (version) rv.value = version;
      if (type === 'BOOKMARK') return;
      const item = source.convert(object);
      if (item === undefined) return;
      const key = source.key(item);
      if (type === 'ADDED') { known.set(key, item); safely(() => handlers.added?.(item)); }
      else if (type === 'MODIFIED') { known.set(key, item); safely(() => handlers.modified?.(item)); }
      else if (type === 'DELETED') { known.delete(key); safely(() => handlers.deleted?.(item)); }
    };
    const onDone = (err: unknown): void => {
      const status = (err as { statusCode?: unknown } | null)?.statusCode;
      if (status === 410) end({ kind: 'gone' });
      else end(err ? { kind: 'error', err } : { kind: 'closed' });
    };
    source.watch(rv.value, onEvent, onDone).then(
      (handle) => { if (ended) handle.abort(); else abortHandle = () => handle.abort(); },
      (err: unknown) => end({ kind: 'error', err }),
    );
  });

  const run = async (): Promise<void> => {
    while (!stopped) {
      let listed: { items: unknown[]; resourceVersion: string };
      try {
        listed = await source.list();
      } catch (err) {
        if (stopped) return;
        await backOff(`list failed: ${describeError(err)}`);
        continue;
      }
      if (stopped) return;
      applyList(listed.items);
      resolveSynced();
      const rv = { value: listed.resourceVersion };
      for (;;) {
        if (stopped) return;
        const started = Date.now();
        const outcome = await watchOnce(rv);
        abortCurrent = undefined;
        if (stopped) return;
        if (outcome.kind === 'gone') {
          logger.info(`watch ${source.what}: resourceVersion ${rv.value} is too old; relisting`);
          break;
        }
        if (outcome.kind === 'error') {
          await backOff(`watch failed: ${describeError(outcome.err)}`);
          break;
        }
        // A clean close resumes from the last resourceVersion; one that closes at once is throttled.
        if (Date.now() - started < 1000) await backOff('watch closed immediately');
        else delayMs = backoff.initialMs;
      }
    }
  };
  const running = run().catch((err: unknown) => logger.error(`watch ${source.what}: stopped: ${describeError(err)}`));

  return {
    synced,
    stop: async () => {
      stopped = true;
      abortCurrent?.();
      wake?.();
      await running;
    },
  };
}
