export { startRouter, ROUTER_DEFAULTS } from './router.js';
