import { breakdown, podSteps } from './docker-breakdown';
import type { DockerCall } from './docker-trace';

const enc = (s: string) => encodeURIComponent(s);
const list = (pod: string, t0: number, t1: number): DockerCall => ({
  method: 'GET',
  path: `/containers/json?all=true&filters=${enc(JSON.stringify({ label: ['coxswain.minion=m', 'coxswain.pod.namespace=ns', `coxswain.pod.name=${pod}`] }))}`,
  t0,
  t1,
  status: 200,
});
const create = (container: string, pod: string, id: string, t0: number, t1: number): DockerCall => ({ method: 'POST', path: `/containers/create?name=coxswain_${container}_${pod}_ns_abcd1234_0`, t0, t1, status: 201, id });
const on = (id: string, what: 'start' | 'json', t0: number, t1: number): DockerCall => ({ method: what === 'start' ? 'POST' : 'GET', path: `/containers/${id}/${what}`, t0, t1, status: 200 });
const image = (name: string, t0: number, t1: number): DockerCall => ({ method: 'GET', path: `/images/${enc(name)}/json`, t0, t1, status: 200 });

/** One pod's first sync: scheduled seen at 1000, Running seen at 1900. */
function onePod(pod: string, at: number): DockerCall[] {
  return [
    list(pod, at + 20, at + 30),
    image('coxswain/pause', at + 30, at + 35),
    create('POD', pod, `infra-${pod}`, at + 35, at + 135),
    on(`infra-${pod}`, 'start', at + 135, at + 385),
    on(`infra-${pod}`, 'json', at + 385, at + 390),
    image('coxswain/busybox', at + 400, at + 405),
    create('sleep', pod, `app-${pod}`, at + 405, at + 505),
    on(`app-${pod}`, 'start', at + 505, at + 805),
    on(`app-${pod}`, 'json', at + 805, at + 810),
  ];
}

describe('docker startup breakdown', () => {
  it('labels one pod’s calls in order and gives the watch and status-write ends', () => {
    const steps = podSteps({ name: 'web-1', scheduled: 1000, running: 1900 }, onePod('web-1', 1000))!;
    const byName = Object.fromEntries(steps.map((s) => [s.step, s.t1 - s.t0]));
    expect(byName['watch: scheduled seen -> kubelet lists the pod']).toBe(20);
    expect(byName['infra start (network attach)']).toBe(250);
    expect(byName['app start']).toBe(300);
    expect(byName['image inspect coxswain/pause #1']).toBe(5);
    expect(byName['status write + watch -> Running seen']).toBe(90);
    // Gaps with no call in flight: 390..400 only.
    expect(byName['kubelet: between Engine calls (sum)']).toBe(10);
    // 900 ms in all, less infra create 100, infra start 250, app start 300.
    expect(byName['scheduled -> Running seen, less infra create+start and app start']).toBe(250);
  });

  it('leaves out another pod’s calls and pods whose calls are missing', () => {
    const calls = [...onePod('web-1', 1000), ...onePod('web-2', 1300)].sort((a, b) => a.t0 - b.t0);
    const b = breakdown(
      [
        { name: 'web-1', scheduled: 1000, running: 1900 },
        { name: 'web-2', scheduled: 1300, running: 2200 },
        { name: 'web-3', scheduled: 1400, running: 2300 },
      ],
      calls,
    );
    expect(b.pods).toBe(2);
    const start = b.steps.find((s) => s.step === 'infra start (network attach)')!;
    expect(start).toMatchObject({ pods: 2, startP50: 135, durationP50: 250 });
    expect(b.steps[0].step).toBe('watch: scheduled seen -> kubelet lists the pod');
    expect(b.steps[b.steps.length - 2].step).toBe('status write + watch -> Running seen');
  });
});

describe('docker startup breakdown: image inspects', () => {
  it('counts an image inspect for the pod whose create comes next', () => {
    const calls = [...onePod('web-1', 1000), image('coxswain/other', 1440, 1441), create('sleep', 'web-9', 'app-web-9', 1450, 1460)].sort((a, b) => a.t0 - b.t0);
    const steps = podSteps({ name: 'web-1', scheduled: 1000, running: 1900 }, calls)!.map((s) => s.step);
    expect(steps).toContain('image inspect coxswain/busybox #1');
    expect(steps).not.toContain('image inspect coxswain/other #1');
  });
});
