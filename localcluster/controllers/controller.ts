// The controller framework: each controller maps store events to the keys they affect, lists all
// its keys for the initial sync and the periodic resync, and reconciles one key at a time from its
// own work queue. `runControllers` wires them to a Store and offers stop() and idle().

import { Store, StoreEvent } from '../apiserver/store';
import { WorkQueue, WorkQueueOptions } from './work-queue';

export interface Controller {
  readonly name: string;
  /** Keys whose state may depend on this change (called synchronously inside the store's commit). */
  keysFor(event: StoreEvent): Iterable<string>;
  /** Every key the controller is responsible for now (startup and resync). */
  allKeys(): Iterable<string>;
  /** Brings one key's world in line with its desired state; throwing schedules a retry. */
  reconcile(key: string): void | Promise<void>;
}

export interface RunOptions extends WorkQueueOptions {
  /** Period of the full resync; 0 disables it. */
  resyncMs?: number;
}

export interface RunningControllers {
  stop(): void;
  /** Resolves when every queue is empty and stays empty across a turn of the event loop. */
  idle(): Promise<void>;
}

export function runControllers(store: Store, controllers: readonly Controller[], opts: RunOptions = {}): RunningControllers {
  const log = opts.log ?? ((line: string) => process.stderr.write(line));
  const queues = controllers.map((c) => new WorkQueue(c.name, (key) => c.reconcile(key), opts));
  let stopped = false;

  const enqueueAll = (): void => {
    controllers.forEach((c, i) => {
      try {
        for (const key of c.allKeys()) queues[i].add(key);
      } catch (err) {
        log(`controllers: ${c.name}: listing keys failed: ${err instanceof Error ? err.message : String(err)}\n`);
      }
    });
  };

  const unsubscribe = store.subscribe((event) => {
    controllers.forEach((c, i) => {
      try {
        for (const key of c.keysFor(event)) queues[i].add(key);
      } catch (err) {
        log(`controllers: ${c.name}: mapping ${event.type} ${event.typeKey} ${event.object.metadata.name ?? ''} failed: ${err instanceof Error ? err.message : String(err)}\n`);
      }
    });
  });

  enqueueAll();
  const resyncMs = opts.resyncMs ?? 30_000;
  const resync = resyncMs > 0 ? setInterval(enqueueAll, resyncMs) : undefined;
  resync?.unref();

  return {
    stop(): void {
      if (stopped) return;
      stopped = true;
      unsubscribe();
      if (resync) clearInterval(resync);
      for (const q of queues) q.stop();
    },
    async idle(): Promise<void> {
      while (!stopped) {
        await Promise.all(queues.map((q) => q.whenIdle()));
        await new Promise<void>((resolve) => setImmediate(resolve));
        if (queues.every((q) => q.isIdle())) return;
      }
    },
  };
}
