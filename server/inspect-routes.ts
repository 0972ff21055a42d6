/** The inspection views as JSON (same objects as the CLI's --json): /v1/next, /v1/attention, /v1/neighbors, /v1/lens. */
import type { RouteTable } from './server.js';

export const ROUTES: RouteTable = {};
