// A pod's volumes on the minion, under the kubelet's root directory:
//   <root>/pods/<uid>/volumes/empty-dir/<volume>   shared by the pod's containers, kept across their
//                                                  restarts, removed with the pod; a tmpfs for
//                                                  `medium: Memory` (tmpfs.ts)
//   <root>/pods/<uid>/volumes/configmap/<volume>   the keys as files, swapped atomically (atomic-dir.ts)
//   <root>/pods/<uid>/volumes/secret/<volume>      and rewritten when the object changes
// hostPath volumes are bind mounts of the minion's own directories, allowed only under the kubelet's
// --allowed-host-paths (none by default): any other pod could otherwise read or replace the host's files.
import fs from 'node:fs';
import path from 'node:path';
import { parseMemory, type KeyToPath, type Pod, type Volume } from '@coxswain/objects';
import { writeAtomically, type PayloadFile } from './atomic-dir';
import { configKeys, MissingConfigError, type ConfigSources } from './config-sources';
import type { VolumeMountConfig } from './runtime';
import type { Tmpfs } from './tmpfs';

export interface PodVolumesOptions {
  rootDir: string;
  /** Host directories a hostPath volume may be at or under (absolute). */
  allowedHostPaths: readonly string[];
  sources: ConfigSources;
  /** Mounts the tmpfs of `medium: Memory` emptyDirs. */
  tmpfs: Tmpfs;
}

/** Why a pod's volumes cannot be set up; the pod waits with this reason. */
export class VolumeSetupError extends Error {
  constructor(readonly reason: 'FailedMount' | 'HostPathNotAllowed', message: string) {
    super(message);
  }
}

const DEFAULT_MODE = 0o644;

export class PodVolumes {
  private readonly allowed: string[];
  /**
   * False once a read of `<root>/pods` found nothing and no volume was set up since: housekeeping then
   * skips the read. A kubelet whose pods have no volumes (every hollow minion: 500 to a process) read
   * a missing directory every resync, an exception each time.
   */
  private dirsMayExist = true;

  constructor(private readonly o: PodVolumesOptions) {
    this.allowed = o.allowedHostPaths.map((p) => path.resolve(p));
  }

  /** `<root>/pods/<uid>`: everything of one pod on this minion. */
  podDir(uid: string): string {
    return path.join(this.o.rootDir, 'pods', uid);
  }

  /**
   * Creates or refreshes every volume of the pod (idempotent: every sync calls it, which is how a
   * changed ConfigMap reaches its files) and returns each container's mounts by container name.
   * VolumeSetupError when a volume cannot be had.
   */
  async setUp(pod: Pod): Promise<Map<string, VolumeMountConfig[]>> {
    if (pod.spec.volumes?.length) this.dirsMayExist = true;
    const hostPaths = new Map<string, string>();
    for (const v of pod.spec.volumes ?? []) hostPaths.set(v.name, await this.setUpVolume(pod, v));
    const mounts = new Map<string, VolumeMountConfig[]>();
    for (const c of pod.spec.containers) {
      mounts.set(
        c.name,
        (c.volumeMounts ?? []).map((m) => {
          const base = hostPaths.get(m.name);
          if (base === undefined) throw new VolumeSetupError('FailedMount', `no volume named "${m.name}"`);
          const hostPath = m.subPath ? path.join(base, m.subPath) : base;
          if (m.subPath && !fs.existsSync(hostPath)) fs.mkdirSync(hostPath, { recursive: true, mode: 0o777 });
          return { hostPath, containerPath: m.mountPath, readOnly: m.readOnly ?? false };
        }),
      );
    }
    return mounts;
  }

  /** Removes every directory of the pod, unmounting its tmpfs first (its containers are gone). */
  async tearDown(uid: string): Promise<void> {
    if (!uid || uid.includes('/') || uid.startsWith('.')) return;
    await this.o.tmpfs.unmountUnder(this.podDir(uid));
    fs.rmSync(this.podDir(uid), { recursive: true, force: true });
  }

  /** The uids that have a directory here (housekeeping removes those of pods no longer bound). */
  podUids(): string[] {
    if (!this.dirsMayExist) return [];
    let uids: string[] = [];
    try {
      uids = fs.readdirSync(path.join(this.o.rootDir, 'pods'));
    } catch {
      // no directory yet
    }
    if (uids.length === 0) this.dirsMayExist = false;
    return uids;
  }

  private async setUpVolume(pod: Pod, v: Volume): Promise<string> {
    const uid = pod.metadata.uid ?? '';
    const dir = (kind: string) => path.join(this.podDir(uid), 'volumes', kind, v.name);
    if (v.hostPath) return this.hostPath(v.name, v.hostPath.path, v.hostPath.type);
    if (v.emptyDir) {
      const d = dir('empty-dir');
      if (!fs.existsSync(d)) {
        fs.mkdirSync(d, { recursive: true });
        fs.chmodSync(d, 0o777); // any container user may write, as Kubernetes' emptyDir
      }
      if (v.emptyDir.medium === 'Memory') {
        try {
          await this.o.tmpfs.mount(d, memoryVolumeSize(pod, v.emptyDir.sizeLimit));
        } catch (e) {
          throw new VolumeSetupError('FailedMount', `MountVolume.SetUp failed for volume "${v.name}": tmpfs: ${(e as Error).message.trim()}`);
        }
      }
      return d;
    }
    const namespace = pod.metadata.namespace ?? 'default';
    const [kind, name, source] = v.configMap
      ? (['configMap', v.configMap.name, v.configMap] as const)
      : (['secret', v.secret!.secretName, v.secret!] as const);
    let keys: Map<string, Buffer> | undefined;
    try {
      keys = await configKeys(this.o.sources, namespace, kind, name, source.optional);
    } catch (e) {
      if (e instanceof MissingConfigError) throw new VolumeSetupError('FailedMount', `MountVolume.SetUp failed for volume "${v.name}": ${e.message}`);
      throw e;
    }
    const d = dir(kind === 'configMap' ? 'configmap' : 'secret');
    writeAtomically(d, payloadOf(v.name, keys ?? new Map(), source.items, source.defaultMode ?? DEFAULT_MODE, source.optional));
    return d;
  }

  private hostPath(volume: string, wanted: string, type: string | undefined): string {
    const resolved = path.resolve(wanted);
    const ok = this.allowed.some((a) => resolved === a || resolved.startsWith(a.endsWith('/') ? a : `${a}/`));
    if (!ok) {
      const allowed = this.allowed.length ? this.allowed.join(', ') : 'none';
      throw new VolumeSetupError('HostPathNotAllowed', `hostPath volume "${volume}": ${resolved} is not under an allowed host path (kubelet --allowed-host-paths: ${allowed})`);
    }
    if (type === 'Directory' && !fs.existsSync(resolved)) throw new VolumeSetupError('FailedMount', `hostPath volume "${volume}": directory ${resolved} does not exist`);
    // Docker would create a missing source as root with mode 0755; we create it writable by any container user.
    if (!fs.existsSync(resolved)) {
      fs.mkdirSync(resolved, { recursive: true });
      fs.chmodSync(resolved, 0o777);
    }
    return resolved;
  }
}

/**
 * A memory emptyDir's size, as Kubernetes sizes it: its sizeLimit, else the pod's memory limit (the
 * sum of its containers' when each has one), else none (the kernel's default).
 */
export function memoryVolumeSize(pod: Pod, sizeLimit: string | undefined): number | undefined {
  if (sizeLimit !== undefined) return parseMemory(sizeLimit);
  const limits = pod.spec.containers.map((c) => c.resources?.limits?.memory);
  if (limits.length === 0 || limits.some((l) => l === undefined)) return undefined;
  return limits.reduce((sum, l) => sum + parseMemory(l!), 0);
}

/** The files of a configMap or secret volume: every key, or only `items` (each under its path). */
function payloadOf(volume: string, keys: Map<string, Buffer>, items: KeyToPath[] | undefined, defaultMode: number, optional?: boolean): Map<string, PayloadFile> {
  const out = new Map<string, PayloadFile>();
  if (!items) {
    for (const [k, bytes] of keys) out.set(k, { bytes, mode: defaultMode });
    return out;
  }
  for (const item of items) {
    const bytes = keys.get(item.key);
    if (bytes === undefined) {
      if (optional) continue;
      throw new VolumeSetupError('FailedMount', `MountVolume.SetUp failed for volume "${volume}": configuration key "${item.key}" not found`);
    }
    out.set(item.path, { bytes, mode: item.mode ?? defaultMode });
  }
  return out;
}
