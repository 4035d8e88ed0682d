import { eventually } from './eventually';

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
});
