// Every figure of a bench run next to what it should be compared with: a limit (etcd's own rate,
// bare Docker), an anchor, or a stated goal, with the ratio and whether the goal is met.
export interface Figure {
  section: string;
  name: string;
  value: number;
  unit: string;
  /** What the figure is held against, e.g. `etcd CAS txn/s at 64 in flight`. */
  against?: string;
  againstValue?: number;
  /** The goal in words, e.g. `<= 5000 ms`. */
  goal?: string;
  met?: boolean;
}

export class FigureTable {
  readonly figures: Figure[] = [];

  add(f: Figure): Figure {
    this.figures.push(f);
    return f;
  }

  /** A figure with an upper bound as its goal. */
  atMost(section: string, name: string, value: number, unit: string, limit: number, against?: { label: string; value: number }): Figure {
    return this.add({ section, name, value, unit, against: against?.label ?? 'goal', againstValue: against?.value ?? limit, goal: `<= ${fmt(limit)} ${unit}`, met: value <= limit });
  }

  /** A figure with a lower bound as its goal. */
  atLeast(section: string, name: string, value: number, unit: string, floor: number, against?: { label: string; value: number }): Figure {
    return this.add({ section, name, value, unit, against: against?.label ?? 'goal', againstValue: against?.value ?? floor, goal: `>= ${fmt(floor)} ${unit}`, met: value >= floor });
  }

  markdown(): string {
    const rows = ['| section | figure | measured | against | ratio | goal | met |', '| --- | --- | ---: | --- | ---: | --- | :-: |'];
    for (const f of this.figures) {
      const against = f.against ? `${f.against}${f.againstValue !== undefined ? `: ${fmt(f.againstValue)}` : ''}` : '';
      const ratio = f.againstValue ? (f.value / f.againstValue).toFixed(2) : '';
      const met = f.met === undefined ? '' : f.met ? 'yes' : '**no**';
      rows.push(`| ${f.section} | ${f.name} | ${fmt(f.value)} ${f.unit} | ${against} | ${ratio} | ${f.goal ?? ''} | ${met} |`);
    }
    return rows.join('\n');
  }
}

export function fmt(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  const a = Math.abs(v);
  if (a >= 100) return String(Math.round(v));
  if (a >= 10) return v.toFixed(1);
  return v.toFixed(2);
}
