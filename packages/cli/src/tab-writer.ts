// Column alignment in the manner of Go's text/tabwriter, which the seed's kubecfg and kubectl used:
// every cell but a row's last is padded to its column's width (at least minWidth, widest cell + padding).
export interface TabWriterOptions {
  minWidth: number;
  padding: number;
}

/** The seed's kubecfg: tabwriter.NewWriter(out, 20, 5, 3, ' ', 0). */
export const SEED_TABLE: TabWriterOptions = { minWidth: 20, padding: 3 };
/** kubectl's: tabwriter.NewWriter(out, 10, 4, 3, ' ', 0). */
export const KUBECTL_TABLE: TabWriterOptions = { minWidth: 10, padding: 3 };

export function formatTable(rows: readonly (readonly string[])[], opts: TabWriterOptions): string {
  const widths: number[] = [];
  for (const row of rows) {
    row.forEach((cell, i) => {
      if (i === row.length - 1) return;
      widths[i] = Math.max(widths[i] ?? 0, Math.max(opts.minWidth, cell.length + opts.padding));
    });
  }
  return rows
    .map((row) => row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]))).join('') + '\n')
    .join('');
}
