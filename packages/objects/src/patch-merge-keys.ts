// Which lists merge element by element in a strategic merge patch (and in server-side apply), and by
// which field: Kubernetes' `patchMergeKey` struct tags, for the kinds served here. One table, read by
// the API's patch code and by the OpenAPI generator (x-kubernetes-patch-merge-key). A list not named
// here is atomic: a patch replaces it whole. Paths are in the v1 wire form, list elements skipped
// (`spec.containers.ports` is the ports of every container).

/** Keyed lists of a pod spec, relative to the spec. */
const POD_SPEC: Readonly<Record<string, string>> = {
  containers: 'name',
  initContainers: 'name',
  volumes: 'name',
  imagePullSecrets: 'name',
  ...containerLists('containers'),
  ...containerLists('initContainers'),
};

/** Keyed lists of a container (Kubernetes keys volumeMounts by mountPath, not name). */
function containerLists(at: string): Record<string, string> {
  return { [`${at}.env`]: 'name', [`${at}.ports`]: 'containerPort', [`${at}.volumeMounts`]: 'mountPath', [`${at}.volumeDevices`]: 'devicePath' };
}

function under(prefix: string, table: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(Object.entries(table).map(([path, key]) => [`${prefix}.${path}`, key]));
}

const META = { 'metadata.ownerReferences': 'uid' };

/** Kind -> dotted list path -> merge key. */
export const PATCH_MERGE_KEYS: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  Pod: { ...META, ...under('spec', POD_SPEC), 'status.conditions': 'type' },
  ReplicationController: { ...META, ...under('spec.template.spec', POD_SPEC), 'status.conditions': 'type' },
  Deployment: { ...META, ...under('spec.template.spec', POD_SPEC), 'status.conditions': 'type' },
  Service: { ...META, 'spec.ports': 'port' },
  Minion: { ...META, 'status.conditions': 'type', 'status.addresses': 'type' },
  Endpoints: { ...META },
  Event: { ...META },
};

/** The merge key of the list at `path` (dotted, list elements skipped) of `kind`, if it is keyed. */
export function patchMergeKey(kind: string, path: string): string | undefined {
  return PATCH_MERGE_KEYS[kind]?.[path];
}
