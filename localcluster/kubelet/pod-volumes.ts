// The volumes of one pod on this node: writes each planned volume under the pod's directory
// (atomically, see atomic-writer.ts), says which ConfigMaps and Secrets it reads, rewrites a
// volume when one of those changes and its tokens at 80% of their lifetime, and turns the plan
// into each container's bind mounts. Failures keep the previous content, as the kubelet does.

import { mkdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { BindMount } from '../runtime/processes';
import { writeVolumeFiles } from './atomic-writer';
import { volumeContent, type ContentLookups } from './volume-content';
import { tokenRefreshMs, tokenSources, volumeReads, type PlannedVolume, type PodVolumePlan } from './volume-plan';

export interface PodVolumeContext {
  /** `<state>/pods/<uid>`: every volume directory lives below it. */
  podDir: string;
  lookups: ContentLookups;
  log: (message: string) => void;
}

/** setTimeout's limit (longer delays fire at once). */
const MAX_TIMER_MS = 2 ** 31 - 1;

export type VolumeSetUp = { ok: true } | { ok: false; volume: string; message: string };

export class PodVolumes {
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly tokens = new Map<string, { token: string; issuedAt: number; lifetimeMs: number }>();
  private queue: Promise<unknown> = Promise.resolve();
  private stopped = false;
  private ready = false;

  constructor(readonly plan: PodVolumePlan, private readonly ctx: PodVolumeContext) {}

  /**
   * Writes every volume; the first that cannot be set up is reported in the kubelet's words
   * (`MountVolume.SetUp failed for volume "x" : configmap "y" not found`). Token refresh timers
   * start once all volumes are in place. Safe to call again to retry.
   */
  setUp(): Promise<VolumeSetUp> {
    return this.serial(async () => {
      for (const v of this.plan.volumes) {
        const problem = await this.write(v).catch((e: Error) => e.message);
        if (problem !== undefined) return { ok: false as const, volume: v.name, message: `MountVolume.SetUp failed for volume "${v.name}" : ${problem}` };
      }
      if (!this.ready && !this.stopped) {
        this.ready = true;
        for (const v of this.plan.volumes) this.scheduleTokens(v);
      }
      return { ok: true as const };
    });
  }

  /** Does any volume read this ConfigMap or Secret? */
  reads(kind: 'ConfigMap' | 'Secret', name: string): boolean {
    return this.plan.volumes.some((v) => volumeReads(v, kind, name));
  }

  /** Rewrites the volumes that read this object (after setUp succeeded); failures are logged. */
  refresh(kind: 'ConfigMap' | 'Secret', name: string): Promise<void> {
    return this.serial(async () => {
      if (!this.ready || this.stopped) return;
      for (const v of this.plan.volumes.filter((x) => volumeReads(x, kind, name))) {
        const problem = await this.write(v).catch((e: Error) => e.message);
        if (problem) this.ctx.log(`volume ${v.name}: keeping the previous content: ${problem}`);
      }
    });
  }

  /** A container's bind mounts (host directory of each volume it mounts). */
  mountsFor(container: string): BindMount[] {
    return (this.plan.mounts[container] ?? []).map((m) => {
      const v = this.plan.volumes.find((x) => x.name === m.volume);
      const hostDir = v?.source.kind === 'hostPath' ? v.source.path : join(this.ctx.podDir, v?.dir ?? m.volume);
      return { hostDir, mountPath: m.mountPath, readOnly: m.readOnly };
    });
  }

  /** Stops refreshing; waits for a write in progress. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
    await this.queue.catch(() => undefined);
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.queue.then(fn, fn);
    this.queue = next.catch(() => undefined);
    return next;
  }

  /** Writes one volume; resolves to why it cannot be set up, or undefined. */
  private async write(v: PlannedVolume): Promise<string | undefined> {
    const dir = join(this.ctx.podDir, v.dir);
    const src = v.source;
    if (src.kind === 'emptyDir') {
      await mkdir(dir, { recursive: true, mode: 0o777 });
      return undefined;
    }
    if (src.kind === 'hostPath') {
      const st = await stat(src.path).catch(() => undefined);
      if (!st && src.create) {
        await mkdir(src.path, { recursive: true, mode: 0o755 });
        return undefined;
      }
      if (!st) return `hostPath type check failed: ${src.path} is not a directory`;
      return st.isDirectory() ? undefined : `hostPath type check failed: ${src.path} is not a directory`;
    }
    const content = volumeContent(src, { ...this.ctx.lookups, token: (aud, exp) => this.token(v, aud, exp) });
    if ('error' in content) return content.error;
    await writeVolumeFiles(dir, content.files);
    return undefined;
  }

  /** A token per (volume, audience, lifetime), reused until 80% of its lifetime has passed. */
  private token(v: PlannedVolume, audience: string | undefined, expirationSeconds: number): string {
    const key = `${v.name}\n${audience ?? ''}\n${expirationSeconds}`;
    const now = Date.now();
    const cached = this.tokens.get(key);
    if (cached && now - cached.issuedAt < cached.lifetimeMs * 0.8) return cached.token;
    const token = this.ctx.lookups.token(audience, expirationSeconds);
    this.tokens.set(key, { token, issuedAt: now, lifetimeMs: expirationSeconds * 1000 });
    return token;
  }

  private scheduleTokens(v: PlannedVolume): void {
    const ms = tokenRefreshMs(v);
    if (ms === undefined || this.stopped) return;
    const timer = setTimeout(() => {
      void this.serial(async () => {
        if (this.stopped) return;
        for (const s of tokenSources(v)) this.tokens.delete(`${v.name}\n${s.audience ?? ''}\n${s.expirationSeconds}`);
        const problem = await this.write(v).catch((e: Error) => e.message);
        if (problem) this.ctx.log(`volume ${v.name}: token refresh failed: ${problem}`);
      }).finally(() => this.scheduleTokens(v));
    }, Math.min(ms, MAX_TIMER_MS));
    timer.unref();
    this.timers.set(v.name, timer);
  }
}
