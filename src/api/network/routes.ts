/** @module api/network/routes — the Neutron-compatible networks, subnets and ports under /v2.0. */
import type { FastifyInstance } from 'fastify';
import type { ApiDeps } from '../deps.js';

export function networkRoutes(_app: FastifyInstance, _deps: ApiDeps): void {}
