// A bench's creates through the API, kept going through a busy etcd: a run is not lost to one 503.
import { realClock } from '@coxswain/objects';

/**
 * A create retried on the API server's 5xx (etcd past its 5 s deadline: seen on a machine at load
 * 30+ during the k8s-limits run) and on 409 after such a retry (the first try did land).
 */
export async function createRetrying(create: () => Promise<unknown>, tries = 12): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await create();
      return;
    } catch (err) {
      const code = (err as { code?: unknown }).code;
      if (attempt > 1 && code === 409) return;
      if (attempt >= tries || typeof code !== 'number' || code < 500) throw err;
      await realClock.sleep(Math.min(5000, 1000 * attempt));
    }
  }
}
