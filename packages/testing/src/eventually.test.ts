import { eventually, GiveUp } from './eventually';

describe('eventually', () => {
  it('returns the first truthy value, treating throws and falsy results as not yet', async () => {
    let calls = 0;
    const v = await eventually(() => {
      calls++;
      if (calls === 1) throw new Error('not ready');
      return calls >= 3 ? `ok after ${calls}` : false;
    }, 2000, 'three calls', 5);
    expect(v).toBe('ok after 3');
  });

  it('fails after the timeout naming what it waited for and the last error', async () => {
    await expect(eventually(() => { throw new Error('still down'); }, 50, 'the server', 5))
      .rejects.toThrow('timed out after 0.05s waiting for the server: still down');
    await expect(eventually(() => false, 50, 'a flag', 5)).rejects.toThrow(/^timed out after 0.05s waiting for a flag$/);
  });

  it('stops at once, with its error, when the check gives up', async () => {
    let calls = 0;
    const gaveUp = eventually(() => {
      calls++;
      if (calls === 2) throw new GiveUp('the process exited');
      return false;
    }, 60_000, 'a process', 5);
    await expect(gaveUp).rejects.toThrow(new GiveUp('the process exited'));
    expect(calls).toBe(2);
  });
});
