// @coxswain/proxy: the service proxy of a minion — a listener per service port, balancing to the
// service's endpoints.
export { runProxy, type RunProxyOptions, type RunningProxy } from './run-proxy';
export { ServiceProxy } from './proxy';
export { ServiceListener } from './service-listener';
export { LoadBalancer, type Endpoint } from './load-balancer';
export { PortalRules, portalChainName, DEFAULT_IPTABLES, type PortalRule } from './portal-rules';
export { ensurePortalRoute, hasPortalInterface, removePortalRoute, routeDevice, PORTAL_INTERFACE } from './portal-network';
export { PodRoutes, wantedRoutes, NAT_CHAIN, FORWARD_CHAIN, ROUTE_PROTO, type RoutesPass } from './pod-routes';
