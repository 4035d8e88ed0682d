/** A positive whole-number flag (`--pods 2000`) of a bench scenario, or its default. */
export function countFlag(argv: string[], name: string, dflt: number): number {
  const i = argv.indexOf(name);
  if (i < 0) return dflt;
  const n = Number(argv[i + 1]);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`${name} must be a positive whole number, not "${argv[i + 1]}"`);
  return n;
}
