// The bare Docker anchor: create + start of a container straight through the Engine API on its unix
// socket (no client library, no CLI process), so the number is what Docker itself costs.
import * as http from 'http';

const SOCKET = process.env.DOCKER_SOCKET ?? '/var/run/docker.sock';

function call(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const req = http.request(
      { socketPath: SOCKET, method, path, headers: data ? { 'Content-Type': 'application/json', 'Content-Length': data.length } : {}, timeout: 30_000 },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString();
          let parsed: unknown = text;
          try {
            parsed = text ? JSON.parse(text) : undefined;
          } catch {
            /* not JSON */
          }
          resolve({ status: res.statusCode ?? 0, body: parsed });
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error(`docker ${method} ${path} timed out`)));
    req.on('error', reject);
    if (data) req.write(data);
    req.end();
  });
}

/** True when an engine answers on the socket. */
export async function dockerAvailable(): Promise<boolean> {
  try {
    return (await call('GET', '/_ping')).status === 200;
  } catch {
    return false;
  }
}

export async function imagePresent(image: string): Promise<boolean> {
  return (await call('GET', `/images/${encodeURIComponent(image)}/json`)).status === 200;
}

/** Milliseconds for create + start of `image` running `cmd`; the container is removed afterwards (not timed). */
export async function timeCreateStart(image: string, cmd: string[], label: Record<string, string>): Promise<number> {
  const t0 = process.hrtime.bigint();
  const created = await call('POST', '/containers/create', { Image: image, Cmd: cmd, Labels: label, HostConfig: { NetworkMode: 'none' } });
  if (created.status !== 201) throw new Error(`docker create: ${created.status} ${JSON.stringify(created.body)}`);
  const id = created.body.Id as string;
  try {
    const started = await call('POST', `/containers/${id}/start`);
    if (started.status !== 204 && started.status !== 304) throw new Error(`docker start: ${started.status} ${JSON.stringify(started.body)}`);
    return Number(process.hrtime.bigint() - t0) / 1e6;
  } finally {
    await call('DELETE', `/containers/${id}?force=true`);
  }
}

/** Force-removes containers carrying a label (key=value), and networks by name; returns how many went. */
export async function removeByLabel(label: string): Promise<number> {
  const filters = encodeURIComponent(JSON.stringify({ label: [label] }));
  const list = await call('GET', `/containers/json?all=true&filters=${filters}`);
  const ids: string[] = Array.isArray(list.body) ? list.body.map((c: { Id: string }) => c.Id) : [];
  for (const id of ids) await call('DELETE', `/containers/${id}?force=true`);
  return ids.length;
}

export async function removeNetwork(name: string): Promise<void> {
  await call('DELETE', `/networks/${encodeURIComponent(name)}`);
}
