/** @module api/octavia/extra — providers and the other small Octavia read-only endpoints. */
import type { FastifyInstance } from 'fastify';
import type { ApiDeps } from '../deps.js';

export function octaviaExtraRoutes(app: FastifyInstance, deps: ApiDeps): void {
  app.get('/providers', async () => ({
    providers: deps.providers.enabled.map((p) => ({ name: p.name, description: p.description })),
  }));
}
