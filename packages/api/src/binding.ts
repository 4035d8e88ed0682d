// POST /api/<v>/bindings: assigns a pod to a minion through the store's one-transaction bind.
// Accepts the 2014 shape `{podID, host}` and the v1 shape `{metadata: {name}, target: {name}}`.
import { invalid } from './status';

export interface BindingRequest {
  namespace?: string;
  pod: string;
  minion: string;
}

export function parseBinding(body: Record<string, unknown>): BindingRequest {
  const meta = (body.metadata ?? {}) as Record<string, unknown>;
  const target = (body.target ?? {}) as Record<string, unknown>;
  const v1 = body.metadata !== undefined || body.target !== undefined;
  const pod = v1 ? meta.name : body.podID;
  const minion = v1 ? target.name : body.host;
  const ns = v1 ? meta.namespace : body.namespace;
  const causes = [];
  if (typeof pod !== 'string' || pod === '') causes.push({ field: v1 ? 'metadata.name' : 'podID', message: 'required' });
  if (typeof minion !== 'string' || minion === '') causes.push({ field: v1 ? 'target.name' : 'host', message: 'required' });
  if (ns !== undefined && typeof ns !== 'string') causes.push({ field: v1 ? 'metadata.namespace' : 'namespace', message: 'must be a string' });
  if (causes.length) throw invalid('Binding', typeof pod === 'string' ? pod : undefined, causes);
  return { pod: pod as string, minion: minion as string, ...(ns ? { namespace: ns as string } : {}) };
}
