// The one key of an object in caches, work queues and indexes: `namespace/name`, or `name` for a
// cluster-scoped object (a minion). The namespace is taken as given, never defaulted: an object read
// from the store or an informer already carries its namespace (the store fills in "default" for a
// namespaced kind when it is written), and no namespace means cluster-scoped. So a key built from an
// object, from its parts, or by an informer is the same string.

interface Named {
  metadata: { namespace?: string; name: string };
}

/** `namespace/name`, or `name` when there is no namespace (a cluster-scoped object). */
export function metaNamespaceKey(obj: Named): string;
export function metaNamespaceKey(namespace: string | undefined, name: string): string;
export function metaNamespaceKey(objOrNamespace: Named | string | undefined, name?: string): string {
  if (typeof objOrNamespace === 'object') return metaNamespaceKey(objOrNamespace.metadata.namespace, objOrNamespace.metadata.name);
  return objOrNamespace ? `${objOrNamespace}/${name}` : name!;
}

/** The inverse of metaNamespaceKey. The namespace of a key without a `/` (cluster-scoped) is ''. */
export function splitMetaNamespaceKey(key: string): { namespace: string; name: string } {
  const i = key.indexOf('/');
  return i < 0 ? { namespace: '', name: key } : { namespace: key.slice(0, i), name: key.slice(i + 1) };
}
