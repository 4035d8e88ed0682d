// Housekeeping's view of pod directories: what a previous life left is found on the first read, a
// kubelet whose pods have no volumes stops reading the disk, and one that sets up a volume reads again.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Pod } from '@coxswain/objects';
import { PodVolumes } from './pod-volumes';
import type { ConfigSources } from './config-sources';
import type { Tmpfs } from './tmpfs';

let root: string;
beforeEach(() => (root = fs.mkdtempSync(path.join(os.tmpdir(), 'pod-volumes-'))));
afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

function volumes(): PodVolumes {
  return new PodVolumes({ rootDir: root, allowedHostPaths: [], sources: {} as ConfigSources, tmpfs: { unmountUnder: async () => undefined } as unknown as Tmpfs });
}

const pod = (uid: string, withVolume: boolean): Pod => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: uid, namespace: 'default', uid },
  spec: {
    containers: [{ name: 'c', image: 'busybox', volumeMounts: withVolume ? [{ name: 'scratch', mountPath: '/s' }] : undefined }],
    volumes: withVolume ? [{ name: 'scratch', emptyDir: {} }] : undefined,
  },
});

it("finds a previous life's pod directories on the first read", () => {
  fs.mkdirSync(path.join(root, 'pods', 'left-behind'), { recursive: true });
  expect(volumes().podUids()).toEqual(['left-behind']);
});

it('stops reading once there is nothing, and reads again after a volume is set up', async () => {
  const v = volumes();
  const readdir = jest.spyOn(fs, 'readdirSync');
  try {
    expect(v.podUids()).toEqual([]);
    await v.setUp(pod('no-volumes', false));
    expect(v.podUids()).toEqual([]);
    expect(readdir).toHaveBeenCalledTimes(1);
    await v.setUp(pod('with-volume', true));
    expect(v.podUids()).toEqual(['with-volume']);
    await v.tearDown('with-volume');
    expect(v.podUids()).toEqual([]);
    expect(v.podUids()).toEqual([]);
    expect(readdir).toHaveBeenCalledTimes(3);
  } finally {
    readdir.mockRestore();
  }
});
