/**
 * @module agent/metrics — per-object metric series from what the agent last observed of each
 * load balancer (no polling of its own: a scrape reads the observer's latest snapshot). Labels
 * are ids and the project id only; names and other tenant text never become labels. Pure.
 */
import { family, type Labels, type MetricFamily } from '../domain/metrics.js';
import type { LoadBalancerGraph } from '../domain/model.js';
import type { ObjectCounters, Observation, ResponseClass } from '../drivers/provider.js';

/** One load balancer as last observed. */
export interface Observed {
  graph: LoadBalancerGraph;
  observation: Observation;
}

const CLASSES: readonly ResponseClass[] = ['1xx', '2xx', '3xx', '4xx', '5xx', 'other'];
const KINDS = ['listener', 'pool', 'member'] as const;

/** The metric families of the observed load balancers and their listeners, pools and members. */
export function observedFamilies(observed: Iterable<Observed>): MetricFamily[] {
  const perKind = new Map<string, [Labels, number][]>();
  const add = (name: string, labels: Labels, value: number): void => {
    let list = perKind.get(name);
    if (!list) perKind.set(name, (list = []));
    list.push([labels, value]);
  };
  for (const { graph, observation } of observed) {
    const lb = graph.loadBalancer;
    const base = { project_id: lb.projectId, loadbalancer_id: lb.id };
    const lbSum = { current: 0, total: 0, bytesIn: 0, bytesOut: 0 };
    for (const o of observation.objects ?? []) {
      const labels: Labels = o.kind === 'member' ? { ...base, pool_id: o.poolId ?? '', member_id: o.id } : { ...base, [`${o.kind}_id`]: o.id };
      counters(add, o, labels);
      if (o.kind === 'listener') {
        lbSum.current += o.currentSessions;
        lbSum.total += o.totalSessions;
        lbSum.bytesIn += o.bytesIn;
        lbSum.bytesOut += o.bytesOut;
      }
      if (o.kind === 'member') {
        add('fulcrum_member_up', labels, o.up ? 1 : 0);
        if (o.checkStatus) add('fulcrum_member_check_status', { ...labels, check_status: o.checkStatus }, 1);
      }
    }
    if (observation.objects) {
      add('fulcrum_loadbalancer_current_sessions', base, lbSum.current);
      add('fulcrum_loadbalancer_sessions_total', base, lbSum.total);
      add('fulcrum_loadbalancer_bytes_in_total', base, lbSum.bytesIn);
      add('fulcrum_loadbalancer_bytes_out_total', base, lbSum.bytesOut);
    }
    for (const r of observation.operating) add('fulcrum_operating_status', { ...base, kind: r.kind, object_id: r.id, status: r.status }, 1);
  }
  const out: MetricFamily[] = [];
  const emit = (name: string, help: string, type: 'counter' | 'gauge'): void => {
    out.push(family(name, help, type, perKind.get(name) ?? []));
  };
  emit('fulcrum_loadbalancer_current_sessions', 'Sessions open now on the load balancer (sum over its listeners).', 'gauge');
  emit('fulcrum_loadbalancer_sessions_total', 'Sessions accepted by the load balancer (its running HAProxy worker; resets on reload).', 'counter');
  emit('fulcrum_loadbalancer_bytes_in_total', 'Bytes received by the load balancer.', 'counter');
  emit('fulcrum_loadbalancer_bytes_out_total', 'Bytes sent by the load balancer.', 'counter');
  for (const kind of KINDS) {
    emit(`fulcrum_${kind}_current_sessions`, `Sessions open now, per ${kind}.`, 'gauge');
    emit(`fulcrum_${kind}_sessions_total`, `Sessions, per ${kind} (the running HAProxy worker's count; resets on reload).`, 'counter');
    emit(`fulcrum_${kind}_bytes_in_total`, `Bytes received, per ${kind}.`, 'counter');
    emit(`fulcrum_${kind}_bytes_out_total`, `Bytes sent, per ${kind}.`, 'counter');
    emit(`fulcrum_${kind}_http_responses_total`, `HTTP responses by status class (code: 1xx…5xx, other), per ${kind}.`, 'counter');
  }
  emit('fulcrum_member_up', '1 when the member takes traffic (health check passing, or no check), else 0.', 'gauge');
  emit('fulcrum_member_check_status', "The member's last health check result (check_status as HAProxy names it: L4OK, L7OK, L4CON, L7STS…); always 1.", 'gauge');
  emit('fulcrum_operating_status', 'Operating status of each object as last observed (status label: ONLINE, DEGRADED, ERROR, OFFLINE, NO_MONITOR, DRAINING); always 1.', 'gauge');
  return out;
}

function counters(add: (name: string, labels: Labels, value: number) => void, o: ObjectCounters, labels: Labels): void {
  add(`fulcrum_${o.kind}_current_sessions`, labels, o.currentSessions);
  add(`fulcrum_${o.kind}_sessions_total`, labels, o.totalSessions);
  add(`fulcrum_${o.kind}_bytes_in_total`, labels, o.bytesIn);
  add(`fulcrum_${o.kind}_bytes_out_total`, labels, o.bytesOut);
  for (const c of CLASSES) add(`fulcrum_${o.kind}_http_responses_total`, { ...labels, code: c }, o.responses[c]);
}
