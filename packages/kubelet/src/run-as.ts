// Which user a container runs as, from Kubernetes' securityContext (the container's fields over the
// pod's): runAsUser (with runAsGroup) becomes Docker's `User`; runAsNonRoot refuses a container that
// would run as root — by its runAsUser, or, without one, by its image's user, which must then be
// numeric to be checked. A refusal is the kubelet's CreateContainerConfigError, in Kubernetes' words.
import type { Container, Pod, SecurityContext } from '@coxswain/objects';

export type RunAs = { user?: string } | { refused: string };

const ROOT = /^(root|0)(:.*)?$/;
const NUMERIC = /^\d+(:\d+)?$/;

function merged(pod: Pod, container: Container): SecurityContext {
  const out: SecurityContext = { ...pod.spec.securityContext };
  for (const [k, v] of Object.entries(container.securityContext ?? {})) if (v !== undefined) (out as Record<string, unknown>)[k] = v;
  return out;
}

/** `imageUser` is asked only when runAsNonRoot must look at the image. */
export async function runAsFor(pod: Pod, container: Container, imageUser: () => Promise<string>): Promise<RunAs> {
  const sc = merged(pod, container);
  const where = `(pod: "${pod.metadata.namespace}/${pod.metadata.name}", container: ${container.name})`;
  // runAsGroup is honoured with a runAsUser (Docker's User is uid[:gid]).
  const user = sc.runAsUser === undefined ? undefined : sc.runAsGroup === undefined ? String(sc.runAsUser) : `${sc.runAsUser}:${sc.runAsGroup}`;
  if (!sc.runAsNonRoot) return { user };
  if (sc.runAsUser !== undefined) return sc.runAsUser === 0 ? { refused: `container's runAsUser breaks non-root policy ${where}` } : { user };
  const image = (await imageUser()).trim();
  if (image === '' || ROOT.test(image)) return { refused: `container has runAsNonRoot and image will run as root ${where}` };
  if (!NUMERIC.test(image)) return { refused: `container has runAsNonRoot and image has non-numeric user (${image}), cannot verify user is non-root ${where}` };
  return { user };
}
