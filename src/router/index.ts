export { startRouter, ROUTER_DEFAULTS, type RouterOptions, type RouterHandle } from './router.js';
export { parseRouterConfig, loadRouterConfig, RouterConfigError, type RouterConfig, type RouterTenant } from './config.js';
export { RouteTable } from './route-table.js';

