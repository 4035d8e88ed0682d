import type { Pod, PodPhase } from '@coxswain/objects';
import { podFromInternal, podPhaseOf, podStatusWord, podToInternal } from './pod-conversion';
import type { WirePodStatus } from './wire-types';

describe('pod status words', () => {
  it.each([
    [undefined, 'Waiting'], ['Pending', 'Waiting'], ['Unknown', 'Waiting'], ['Running', 'Running'], ['Succeeded', 'Terminated'], ['Failed', 'Terminated'],
  ] as [PodPhase | undefined, WirePodStatus][])('phase %s reads as %s', (phase, word) => {
    expect(podStatusWord(phase)).toBe(word);
  });

  it('Waiting is Pending and Running is Running', () => {
    expect(podPhaseOf('Waiting', undefined)).toBe('Pending');
    expect(podPhaseOf('Running', {})).toBe('Running');
  });

  it('Terminated is Succeeded only when every container exited 0', () => {
    expect(podPhaseOf('Terminated', { a: { state: { termination: { exitCode: 0 } } }, b: { state: { termination: { exitCode: 0 } } } })).toBe('Succeeded');
    expect(podPhaseOf('Terminated', { a: { state: { termination: { exitCode: 0 } } }, b: { state: { termination: { exitCode: 1 } } } })).toBe('Failed');
    expect(podPhaseOf('Terminated', { a: { state: { running: {} } } })).toBe('Failed');
    expect(podPhaseOf('Terminated', undefined)).toBe('Failed');
  });

  const pod = (phase?: PodPhase): Pod => ({
    apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' },
    spec: { containers: [{ name: 'c', image: 'busybox' }], nodeName: '127.0.1.1' },
    status: phase ? { phase, hostIP: '127.0.1.1' } : undefined,
  });

  it('a pod never written a status reads as Waiting; a bound one shows its host', () => {
    expect(podFromInternal(pod()).currentState).toEqual({ status: 'Waiting', host: '127.0.1.1' });
    expect(podFromInternal(pod('Running')).currentState).toEqual({ status: 'Running', host: '127.0.1.1', hostIP: '127.0.1.1' });
  });

  it('a succeeded pod survives v1beta1 -> internal with its exit codes', () => {
    const p = pod('Succeeded');
    p.status!.containerStatuses = [{ name: 'c', ready: false, restartCount: 0, image: 'busybox', state: { terminated: { exitCode: 0, reason: 'Completed' } } }];
    const wire = podFromInternal(p);
    expect(wire.currentState!.status).toBe('Terminated');
    expect(podToInternal(wire).status!.phase).toBe('Succeeded');
  });

  it('info without an image takes the container image from the spec', () => {
    const wire = podFromInternal(pod());
    wire.currentState = { status: 'Running', info: { c: { state: { running: {} }, restartCount: 1 } } };
    expect(podToInternal(wire).status!.containerStatuses).toEqual([
      { name: 'c', state: { running: {} }, ready: false, restartCount: 1, image: 'busybox' },
    ]);
  });
});
