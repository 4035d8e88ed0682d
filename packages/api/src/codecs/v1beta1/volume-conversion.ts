// Volumes and mounts: 2014's `{name, source: {emptyDir | hostDir}}` <-> v1's `{name, emptyDir | hostPath}`
// (configMap and secret sources carried as they are); a mount's `path` was 2014's mountPath.
import type { Volume, VolumeMount } from '@coxswain/objects';
import { compact, copy } from './object-utils';
import type { WireVolume, WireVolumeMount } from './wire-types';

export function volumeToInternal(v: WireVolume): Volume {
  const source = v.source ?? {};
  return compact({
    name: v.name,
    emptyDir: copy(source.emptyDir),
    hostPath: source.hostDir ? { path: source.hostDir.path } : undefined,
    configMap: copy(source.configMap),
    secret: copy(source.secret),
  });
}

export function volumeFromInternal(v: Volume): WireVolume {
  return {
    name: v.name,
    source: compact({
      emptyDir: copy(v.emptyDir),
      hostDir: v.hostPath ? { path: v.hostPath.path } : undefined,
      configMap: copy(v.configMap),
      secret: copy(v.secret),
    }),
  };
}

export function volumeMountToInternal(m: WireVolumeMount): VolumeMount {
  // mountPath is required in v1; a mount with neither name fails validation on the internal side.
  return compact({ name: m.name, mountPath: m.mountPath ?? m.path ?? '', readOnly: m.readOnly, subPath: m.subPath });
}

export function volumeMountFromInternal(m: VolumeMount): WireVolumeMount {
  return compact({ name: m.name, mountPath: m.mountPath, readOnly: m.readOnly, subPath: m.subPath });
}
