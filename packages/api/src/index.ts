// @coxswain/api: the API server (REST + watch over etcd), its wire codecs, and the typed client.
export * from './codecs';
export { createApiServer, type ApiServer, type ApiServerOptions } from './server';
export { runApiServer, type ApiServerFlags, type ApiServerHandle } from './api-server-command';
export { toStatus, HttpError, type Status, type StatusCause, type StatusDetails } from './status';

export { TokenAuthenticator, parseTokenFile, isLoopbackAddress } from './auth';
export { DEFAULT_MAX_BODY_BYTES } from './request-body';



