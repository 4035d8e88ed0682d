import { roundOrder, spreadOf } from './paired-rounds';

describe('paired rounds', () => {
  it('swaps the order every round, so a state is measured twice in a row between rounds', () => {
    const windows = [1, 2, 3, 4].flatMap((r) => roundOrder(r));
    expect(windows).toEqual([false, true, true, false, false, true, true, false]);
  });

  it('lands on the true cost under a load that rises steadily over the run, where one fixed order would not', () => {
    // The cluster's CPU per window grows 2% a window from other work; the pipeline adds 5%.
    const cpu = (index: number, on: boolean) => 100 * (1 + 0.02 * index) * (on ? 1.05 : 1);
    const differences = (order: (round: number) => boolean[]) => {
      let index = 0;
      return [1, 2, 3, 4, 5, 6].map((round) => {
        const w: number[] = [];
        for (const on of order(round)) w[Number(on)] = cpu(index++, on);
        return ((w[1] - w[0]) / w[0]) * 100;
      });
    };
    expect(spreadOf(differences(roundOrder)).median).toBeCloseTo(5, 0);
    // Always off then on: every round carries the drift, +7% instead of +5%.
    expect(spreadOf(differences(() => [false, true])).median).toBeGreaterThan(6.5);
  });

  it('reports the median with the lowest, highest and quartiles, one disturbed round moving only the spread', () => {
    expect(spreadOf([5, -1, 3, 100, 2, 4])).toEqual({ median: 3.5, min: -1, max: 100, q1: 2.25, q3: 4.75 });
    expect(() => spreadOf([])).toThrow('no rounds');
  });
});
