// A ServiceListener in a process of its own, so that the proxy bench measures the proxy apart from
// its clients. Usage: node proxy-listener-process.js '{"address":"127.0.0.1","port":0,
// "endpoints":[{"ip":"127.0.0.1","port":8080}]}'. Prints {"port":N} once bound; exits when stdin closes.
import { LoadBalancer, ServiceListener, type Endpoint } from '@coxswain/proxy';

interface Args {
  address: string;
  port: number;
  endpoints: Endpoint[];
}

function main(): void {
  const args = JSON.parse(process.argv[2] ?? '{}') as Args;
  const balancer = new LoadBalancer();
  balancer.setEndpoints(args.endpoints);
  const listener = new ServiceListener({ name: 'bench/proxy:tcp', address: args.address, port: args.port, balancer });
  listener.start();
  void listener.ready.then(() => process.stdout.write(JSON.stringify({ port: listener.port }) + '\n'));
  const stop = () => {
    listener.close(true);
    process.exit(0);
  };
  process.stdin.on('end', stop).on('error', stop).resume();
  process.on('SIGTERM', stop);
}

main();
