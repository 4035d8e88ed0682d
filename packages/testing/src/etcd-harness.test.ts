// The unit project runs without etcd (jest.config.js); a unit test that reaches for one is told where it belongs.
import { startEtcd } from './etcd-harness';

it('startEtcd() refuses in the unit project and names the file convention for integration tests', async () => {
  expect(process.env.COXSWAIN_UNIT_PROJECT).toBe('1');
  await expect(startEtcd()).rejects.toThrow(/unit project.*name its file \*\.etcd\.test\.ts/);
});
