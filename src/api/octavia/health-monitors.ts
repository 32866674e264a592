/** @module api/octavia/health-monitors — `/v2/lbaas/healthmonitors`: CRUD. */
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import {
  createHealthMonitor, deleteHealthMonitor, getHealthMonitor, listHealthMonitors, updateHealthMonitor,
  type HealthMonitorCreate, type HealthMonitorUpdate,
} from '../../service/health-monitors.js';
import { callerOf } from '../auth.js';
import type { ApiDeps } from '../deps.js';
import { pageLinks, parseList, rawQuery, selectFields } from './lists.js';
import { envelope, healthMonitorFields, HealthMonitorPut, Opt, ProjectId, Uuid } from './schemas.js';
import { FIELDS, fromWire, HEALTH_MONITOR_INPUT, healthMonitorToWire } from './wire.js';

const Post = envelope('healthmonitor', Type.Object({
  ...healthMonitorFields, project_id: Opt(ProjectId), pool_id: Uuid,
}, { additionalProperties: false }));
const Put = envelope('healthmonitor', HealthMonitorPut);
/** Octavia's controller argument (`post(self, health_monitor_)`), named in unknown-attribute errors. */
const argName = 'health_monitor_.healthmonitor';

type Params = { Params: { id: string } };

/** Registers the health monitor routes under a prefix. */
export function healthMonitorRoutes(app: FastifyInstance, deps: ApiDeps): void {
  const { store } = deps;

  app.get('/healthmonitors', async (request) => {
    const parsed = parseList(rawQuery(request), FIELDS.healthmonitor);
    const views = await listHealthMonitors(store, callerOf(request), parsed.query);
    return {
      healthmonitors: selectFields(views.map(healthMonitorToWire), parsed.fields),
      healthmonitors_links: pageLinks(request, parsed, views.map((v) => v.object)),
    };
  });

  app.post<{ Body: Static<typeof Post> }>('/healthmonitors', { schema: { body: Post }, config: { argName } }, async (request, reply) => {
    const input = fromWire(request.body.healthmonitor, HEALTH_MONITOR_INPUT, true) as unknown as HealthMonitorCreate;
    const view = await createHealthMonitor(store, callerOf(request), input);
    return reply.code(201).send({ healthmonitor: healthMonitorToWire(view) });
  });

  app.get<Params>('/healthmonitors/:id', async (request) => {
    const view = await getHealthMonitor(store, callerOf(request), request.params.id);
    const { fields } = parseList({ fields: rawQuery(request).fields }, FIELDS.healthmonitor);
    return { healthmonitor: selectFields([healthMonitorToWire(view)], fields)[0] };
  });

  app.put<Params & { Body: Static<typeof Put> }>('/healthmonitors/:id', { schema: { body: Put }, config: { argName } }, async (request) => {
    const patch = fromWire(request.body.healthmonitor, HEALTH_MONITOR_INPUT, false) as HealthMonitorUpdate;
    return { healthmonitor: healthMonitorToWire(await updateHealthMonitor(store, callerOf(request), request.params.id, patch)) };
  });

  app.delete<Params>('/healthmonitors/:id', async (request, reply) => {
    await deleteHealthMonitor(store, callerOf(request), request.params.id);
    return reply.code(204).send();
  });
}
