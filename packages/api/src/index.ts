// @coxswain/api: the API server (REST and WebSocket watch on the registry) and its wire codecs.
export { runApiServer, type ApiServerFlags, type ApiServerHandle } from './api-server-command';
export { DEFAULT_CLUSTER_CIDR, DEFAULT_PORTAL_NET } from '@coxswain/registry';
export { createApiServer, type ApiServer, type ApiServerOptions } from './server';
export { CODECS } from './codecs';
export { JOIN_PATH, type JoinInfo } from './join-info';
export { parseTokenFile } from './auth';
