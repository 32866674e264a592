/**
 * @module api/metrics — `GET /metrics` (Prometheus text format): the API's own request counts
 * and latencies by route pattern, next to whatever the composition root registered (agent,
 * HAProxy, per-object series). Served to admins on the API (policy table), or without auth on a
 * separate `--metrics-listen` address that serves nothing else.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import { EXPOSITION_CONTENT_TYPE, type MetricsRegistry } from '../domain/metrics.js';

/**
 * Counts every answered request by method, registered route pattern (never the raw URL, whose
 * ids would make a series per object; `unmatched` for a 404 without a route) and status code.
 */
export function installApiMetrics(app: FastifyInstance, registry: MetricsRegistry): void {
  const requests = registry.counter('fulcrum_api_requests_total', 'API requests answered, by method, route pattern and status code.', ['method', 'route', 'code']);
  const duration = registry.histogram('fulcrum_api_request_duration_seconds', 'Time to answer an API request, by method, route pattern and status code.', ['method', 'route', 'code']);
  app.addHook('onResponse', async (request, reply) => {
    const labels = { method: request.method, route: request.routeOptions.url ?? 'unmatched', code: String(reply.statusCode) };
    requests.inc(labels);
    duration.observe(labels, reply.elapsedTime / 1000);
  });
}

/** Registers `GET /metrics`. */
export function metricsRoute(app: FastifyInstance, registry: MetricsRegistry): void {
  app.get('/metrics', async (_request, reply) => reply.type(EXPOSITION_CONTENT_TYPE).send(registry.expose()));
}

/** The `--metrics-listen` server: `GET /metrics` without authentication, and nothing else (404). */
export async function buildMetricsServer(registry: MetricsRegistry): Promise<FastifyInstance> {
  const app = Fastify({ logger: false });
  metricsRoute(app, registry);
  return app;
}
