// Flags every component binary shares, read one way everywhere: bad input is refused with one line
// that names the flag and says what was expected. (Durations: parseDuration in @coxswain/objects,
// which kubecfg shares.)

const ETCD_EXAMPLE = 'http://127.0.0.1:2379';

/**
 * The etcd client URLs of `--etcd-servers URL[,URL...]`: split on commas, trimmed, blanks dropped.
 * A list is taken as already split (tests and embedders pass one) and checked the same way.
 * Refuses an empty list and anything that is not an http(s) URL.
 */
export function parseEtcdServers(value: string | readonly string[] | undefined): string[] {
  const flag = '--etcd-servers';
  const parts = typeof value === 'string' ? value.split(',') : (value ?? []);
  const urls = parts.map((s) => s.trim()).filter(Boolean);
  if (urls.length === 0) throw new Error(`${flag}: give at least one etcd client URL, e.g. ${ETCD_EXAMPLE}`);
  for (const url of urls) {
    let protocol = '';
    try {
      protocol = new URL(url).protocol;
    } catch {
      // not a URL at all: refused below with the same message
    }
    if (protocol !== 'http:' && protocol !== 'https:') throw new Error(`${flag}: "${url}" is not an http(s) URL (e.g. ${ETCD_EXAMPLE})`);
  }
  return urls;
}
