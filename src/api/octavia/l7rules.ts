/** @module api/octavia/l7rules — `/v2/lbaas/l7policies/{l7policy_id}/rules`: CRUD of one L7 policy's rules. */
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import {
  createL7Rule, deleteL7Rule, getL7Rule, listL7Rules, updateL7Rule, type L7RuleCreate, type L7RuleUpdate,
} from '../../service/l7rules.js';
import { callerOf } from '../auth.js';
import type { ApiDeps } from '../deps.js';
import { pageLinks, parseList, rawQuery, selectFields } from './lists.js';
import { envelope, l7RuleFields, L7RulePut, Opt, ProjectId } from './schemas.js';
import { FIELDS, fromWire, L7RULE_INPUT, l7RuleToWire } from './wire.js';

const Post = envelope('rule', Type.Object({ ...l7RuleFields, project_id: Opt(ProjectId) }, { additionalProperties: false }));
const Put = envelope('rule', L7RulePut);
/** Octavia's controller argument (`post(self, rule_)`), named in unknown-attribute errors. */
const argName = 'rule_.rule';

type PolicyParams = { Params: { l7policy_id: string } };
type RuleParams = { Params: { l7policy_id: string; l7rule_id: string } };

/** Registers the L7 rule routes under a prefix. */
export function l7RuleRoutes(app: FastifyInstance, deps: ApiDeps): void {
  const { store } = deps;

  app.get<PolicyParams>('/l7policies/:l7policy_id/rules', async (request) => {
    const parsed = parseList(rawQuery(request), FIELDS.l7rule);
    const views = await listL7Rules(store, callerOf(request), request.params.l7policy_id, parsed.query);
    return {
      rules: selectFields(views.map(l7RuleToWire), parsed.fields),
      rules_links: pageLinks(request, parsed, views.map((v) => v.object)),
    };
  });

  app.post<PolicyParams & { Body: Static<typeof Post> }>('/l7policies/:l7policy_id/rules', {
    schema: { body: Post }, config: { argName },
  }, async (request, reply) => {
    const input = fromWire(request.body.rule, L7RULE_INPUT, true) as unknown as L7RuleCreate;
    const view = await createL7Rule(store, callerOf(request), request.params.l7policy_id, input);
    return reply.code(201).send({ rule: l7RuleToWire(view) });
  });

  app.get<RuleParams>('/l7policies/:l7policy_id/rules/:l7rule_id', async (request) => {
    const view = await getL7Rule(store, callerOf(request), request.params.l7policy_id, request.params.l7rule_id);
    const { fields } = parseList({ fields: rawQuery(request).fields }, FIELDS.l7rule);
    return { rule: selectFields([l7RuleToWire(view)], fields)[0] };
  });

  app.put<RuleParams & { Body: Static<typeof Put> }>('/l7policies/:l7policy_id/rules/:l7rule_id', {
    schema: { body: Put }, config: { argName },
  }, async (request) => {
    const patch = fromWire(request.body.rule, L7RULE_INPUT, false) as L7RuleUpdate;
    const { l7policy_id: policyId, l7rule_id: id } = request.params;
    return { rule: l7RuleToWire(await updateL7Rule(store, callerOf(request), policyId, id, patch)) };
  });

  app.delete<RuleParams>('/l7policies/:l7policy_id/rules/:l7rule_id', async (request, reply) => {
    await deleteL7Rule(store, callerOf(request), request.params.l7policy_id, request.params.l7rule_id);
    return reply.code(204).send();
  });
}
