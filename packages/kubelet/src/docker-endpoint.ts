// Where a kubelet's Docker engine answers (`--docker-endpoint`, as the 2014 kubelet named it): a
// unix socket (`unix:///run/docker.sock` or a bare path) or `tcp://host:port`, the latter with TLS
// when the engine's client certificate files are given (as `docker --tlsverify` uses them). The
// result is dockerode's connection options.
import { readFileSync } from 'node:fs';
import type { DockerOptions } from 'dockerode';

export const DEFAULT_DOCKER_ENDPOINT = 'unix:///var/run/docker.sock';

export interface DockerTlsFiles {
  ca?: string;
  cert?: string;
  key?: string;
}

/** Throws an Error naming the flag and what is wrong. */
export function dockerConnection(endpoint: string, tls: DockerTlsFiles = {}): DockerOptions {
  if (endpoint.startsWith('/')) return { socketPath: endpoint };
  const m = /^(unix|tcp):\/\/(.+)$/.exec(endpoint);
  if (!m) throw new Error(`--docker-endpoint "${endpoint}": want unix:///path/to/docker.sock, a socket path, or tcp://host:port`);
  if (m[1] === 'unix') return { socketPath: m[2] };
  const hp = /^([^:/]+):(\d{1,5})$/.exec(m[2]);
  if (!hp || Number(hp[2]) < 1 || Number(hp[2]) > 65535) throw new Error(`--docker-endpoint "${endpoint}": a tcp endpoint needs host:port`);
  const given = [tls.ca, tls.cert, tls.key].filter((f) => f !== undefined).length;
  if (given === 0) return { host: hp[1], port: Number(hp[2]), protocol: 'http' };
  if (given !== 3) throw new Error('--docker-tls-ca, --docker-tls-cert and --docker-tls-key go together');
  const read = (flag: string, file: string) => {
    try {
      return readFileSync(file);
    } catch (e) {
      throw new Error(`${flag} ${file}: ${(e as Error).message}`);
    }
  };
  return {
    host: hp[1],
    port: Number(hp[2]),
    protocol: 'https',
    ca: read('--docker-tls-ca', tls.ca!),
    cert: read('--docker-tls-cert', tls.cert!),
    key: read('--docker-tls-key', tls.key!),
  };
}
