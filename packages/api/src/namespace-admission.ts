// Kubernetes' NamespaceLifecycle admission, for creates through the API: an object goes only into a
// namespace that exists (404 naming the namespace otherwise) and is not being deleted (403). The
// namespaces the cluster uses (default, kube-system, kube-public) are created when the server
// starts, and always admit. Namespaces are read from a watch-fed cache, so a create costs no etcd
// read; one the cache has not seen yet (created a moment ago) is read from the store.
import { Informer } from '@coxswain/client';
import { isTerminating, SYSTEM_NAMESPACES } from '@coxswain/registry';
import { AlreadyExistsError, NotFoundError, withTimeout } from '@coxswain/objects';
import type { KubeObject, ObjectStore } from '@coxswain/objects';
import { createLogger } from '@coxswain/process';
import { HttpError } from './status';

const log = createLogger('apiserver');
const BOOTSTRAP_RETRY_MS = 2000;

export class NamespaceAdmission {
  private readonly cache: Informer<KubeObject>;
  private bootstrapTimer?: NodeJS.Timeout;
  private stopped = false;

  /** `alsoAtStart`: more start-up state the server writes with the system namespaces. */
  constructor(
    private readonly store: ObjectStore,
    private readonly alsoAtStart?: () => Promise<void>,
  ) {
    this.cache = new Informer<KubeObject>({ store, resource: 'namespaces' });
  }

  /**
   * Starts the cache and creates the system namespaces; resolves after the first attempt (so that a
   * server that answers has them), retrying in the background while etcd is away.
   */
  start(): Promise<void> {
    this.cache.start();
    // At most a few seconds: a server whose etcd is away still starts (and answers 503s meanwhile).
    return withTimeout(this.bootstrap(), BOOTSTRAP_RETRY_MS, 'system namespaces not created yet').catch(() => undefined);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.bootstrapTimer) clearTimeout(this.bootstrapTimer);
    await this.cache.stop();
  }

  private async bootstrap(): Promise<void> {
    try {
      await this.alsoAtStart?.();
      for (const name of SYSTEM_NAMESPACES) {
        try {
          await this.store.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
        } catch (e) {
          if (!(e instanceof AlreadyExistsError)) throw e;
        }
      }
    } catch (err) {
      if (this.stopped) return;
      log.warn({ err }, 'could not create the system namespaces yet; retrying');
      this.bootstrapTimer = setTimeout(() => void this.bootstrap(), BOOTSTRAP_RETRY_MS);
      this.bootstrapTimer.unref();
    }
  }

  /** Throws the answer Kubernetes gives a create into a namespace that is missing or terminating. */
  async checkCreate(namespace: string, kind: string, name: string | undefined): Promise<void> {
    let ns = this.cache.get(namespace);
    if (!ns) {
      try {
        ns = await this.store.get<KubeObject>('namespaces', undefined, namespace);
      } catch (e) {
        if (!(e instanceof NotFoundError)) throw e;
        if (SYSTEM_NAMESPACES.includes(namespace)) return; // being created at start-up
        throw new HttpError(404, 'NotFound', `namespaces "${namespace}" not found`, { kind: 'namespaces', name: namespace });
      }
    }
    if (isTerminating(ns)) {
      throw new HttpError(
        403,
        'Forbidden',
        `${kind.toLowerCase()}s${name ? ` "${name}"` : ''} is forbidden: unable to create new content in namespace ${namespace} because it is being terminated`,
        { kind, ...(name ? { name } : {}), causes: [{ field: 'metadata.namespace', message: `namespace ${namespace} is being terminated`, reason: 'NamespaceTerminating' }] },
      );
    }
  }
}
