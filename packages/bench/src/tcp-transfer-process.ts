// One TCP transfer for the hosts bench, run inside a pod's network namespace (nsenter --net), so the
// bytes take the pod network's path while the tool itself costs little per byte: 1 MiB writes and
// Node's 64 KiB reads (busybox nc's small reads made the earlier figures CPU-bound, and the
// `docker exec`s around each transfer were inside its timing).
//   node tcp-transfer-process.js receive PORT   prints {"bytes":N,"seconds":S} once the sender has
//                                               closed: S from the first byte to the last
//   node tcp-transfer-process.js send HOST PORT MB   sends MB MiB of zeros, then closes
// Either exits non-zero with the reason on stderr (refused, reset, a receiver that got nothing).
import * as net from 'node:net';

const CHUNK = Buffer.alloc(1 << 20);

function receive(port: number): void {
  const server = net.createServer({ noDelay: true });
  server.on('connection', (socket) => {
    server.close(); // one transfer
    let bytes = 0;
    let first: bigint | undefined;
    let last = 0n;
    socket.on('data', (b: Buffer) => {
      first ??= process.hrtime.bigint();
      bytes += b.length;
      last = process.hrtime.bigint();
    });
    socket.on('end', () => {
      if (first === undefined) return fail('the sender closed without sending');
      process.stdout.write(JSON.stringify({ bytes, seconds: Number(last - first) / 1e9 }) + '\n', () => process.exit(0));
    });
    socket.on('error', (e) => fail(`receiving: ${e.message}`));
  });
  server.on('error', (e) => fail(`listening on ${port}: ${e.message}`));
  server.listen(port, () => process.stdout.write('listening\n'));
}

function send(host: string, port: number, mb: number): void {
  const socket = net.connect({ host, port, noDelay: true });
  let left = mb;
  const pump = () => {
    while (left > 0) {
      left--;
      if (!socket.write(CHUNK)) return socket.once('drain', pump);
    }
    socket.end(() => process.exit(0));
  };
  socket.on('connect', pump);
  socket.on('error', (e) => fail(`sending to ${host}:${port}: ${e.message}`));
}

function fail(why: string): never {
  process.stderr.write(why + '\n');
  process.exit(1);
}

const [mode, ...args] = process.argv.slice(2);
if (mode === 'receive') receive(Number(args[0]));
else if (mode === 'send') send(args[0]!, Number(args[1]), Number(args[2]));
else fail('usage: tcp-transfer-process.js receive PORT | send HOST PORT MB');
