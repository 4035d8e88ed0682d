import { renderChart } from './running-chart';

describe('renderChart', () => {
  it('draws one polyline per series scaled into the plot, the goal line and the legend', () => {
    const svg = renderChart('pods Running', [
      { name: 'Running', color: '#080', points: [[0, 0], [5, 50], [10, 100]] },
      { name: 'created', color: '#00c', points: [[0, 0], [2, 100]] },
    ], { goalSeconds: 20, target: 100 });
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg.match(/<polyline /g)).toHaveLength(2);
    // x: 10 s of a 20 s axis lands mid-plot (70 + 710/2); y: 100 of 100 at the top margin (40).
    expect(svg).toContain('425.0,40.0');
    expect(svg).toContain('goal 20 s');
    expect(svg).toContain('>Running</text>');
  });
});
