// @coxswain/process: what every Coxswain process shares — logging, health and metrics serving, the one
// signal and shutdown path, flag parsing.
export { createLogger, type Logger } from './logger';
export { serveHealth, type HealthServer, type HealthServerOptions } from './health-server';
export { onShutdown, shutdown, setShutdownGrace, createShutdownCoordinator } from './process-signals';
export { etcdClientFlags, parseEtcdServers, parseEtcdTLS, type EtcdTLS, type EtcdTLSFlags } from './flags';
export { ensureCertificateAuthority, etcdMemberTLSFlags, etcdServerTLSFlags, issueCertificate, issueEtcdClient, type CertificateAuthority, type CertificateRequest } from './etcd-pki';
export { EtcdCredentials, etcdRoleCommonName, LOOPBACK_HOSTS, type EtcdRole } from './etcd-credentials';
export { metricsExposition, METRICS_CONTENT_TYPE, processMetrics } from './process-metrics';
export { SERVER_NODE_FLAGS } from './node-flags';
export { ETCD_GOGC, etcdGoEnv } from './etcd-env';
