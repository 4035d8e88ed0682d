/** Minion i's address: its own loopback address, as each simulated minion has (127.2.0.0/16: 65,536 of them). */
export function hollowAddress(i: number): string {
  return `127.2.${i >> 8}.${i & 255}`;
}
