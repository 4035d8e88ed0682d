import type { Pod } from '@coxswain/objects';
import { runAsFor } from './run-as';

const pod = (podSc?: object, containerSc?: object): Pod =>
  ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p', namespace: 'default' },
    spec: { securityContext: podSc, containers: [{ name: 'c', image: 'img', securityContext: containerSc }] },
  }) as Pod;
const image = (user: string) => async () => user;
const run = (p: Pod, user = '') => runAsFor(p, p.spec.containers[0]!, image(user));

describe('runAsFor', () => {
  it('runs as runAsUser (and runAsGroup), the container\'s over the pod\'s; else as the image says', async () => {
    expect(await run(pod())).toEqual({ user: undefined });
    expect(await run(pod({ runAsUser: 1000 }))).toEqual({ user: '1000' });
    expect(await run(pod({ runAsUser: 1000, runAsGroup: 50 }, { runAsUser: 2000 }))).toEqual({ user: '2000:50' });
  });

  it('runAsNonRoot refuses uid 0, an image running as root, and a name it cannot check, saying why', async () => {
    expect(await run(pod({ runAsNonRoot: true, runAsUser: 0 }))).toEqual({ refused: 'container\'s runAsUser breaks non-root policy (pod: "default/p", container: c)' });
    for (const root of ['', 'root', '0', '0:0', 'root:wheel']) {
      expect(await run(pod({ runAsNonRoot: true }), root)).toEqual({ refused: 'container has runAsNonRoot and image will run as root (pod: "default/p", container: c)' });
    }
    expect(await run(pod(undefined, { runAsNonRoot: true }), 'nobody')).toEqual({
      refused: 'container has runAsNonRoot and image has non-numeric user (nobody), cannot verify user is non-root (pod: "default/p", container: c)',
    });
    expect(await run(pod({ runAsNonRoot: true }), '65534')).toEqual({ user: undefined });
    expect(await run(pod({ runAsNonRoot: true, runAsUser: 1000 }))).toEqual({ user: '1000' });
    // The container may lift the pod's rule.
    expect(await run(pod({ runAsNonRoot: true }, { runAsNonRoot: false }))).toEqual({ user: undefined });
  });
});
