/**
 * @module api/octavia/schemas — request schemas (TypeBox) shared by the Octavia resources, with
 * Octavia's bounds. Ajv runs with no type coercion and no silent removal: an unknown field is a 400.
 */
import { Type, type TSchema } from '@sinclair/typebox';

/** An optional field that also accepts JSON null (read as "not given" on create). */
export const Opt = <T extends TSchema>(t: T) => Type.Optional(Type.Union([t, Type.Null()]));

export const Uuid = Type.String({ format: 'uuid' });
export const Name = Type.String({ maxLength: 255 });
export const Description = Type.String({ maxLength: 255 });
export const ProjectId = Type.String({ maxLength: 36 });
export const IpAddress = Type.String({ format: 'ip' });
export const Tags = Type.Array(Type.String({ maxLength: 255 }));
export const Port = Type.Integer({ minimum: 1, maximum: 65535 });

/** `{"<wrapper>": {...}}`, the envelope of every Octavia request body. */
export function envelope<K extends string, T extends TSchema>(key: K, inner: T) {
  const props = { [key]: inner } as { [P in K]: T };
  return Type.Object(props, { additionalProperties: false });
}

export const LoadBalancerPut = Type.Object({
  name: Opt(Name), description: Opt(Description), vip_qos_policy_id: Opt(Uuid),
  admin_state_up: Type.Optional(Type.Boolean()), tags: Opt(Tags),
}, { additionalProperties: false });

/** Builds the LB POST schema around the (fully-populated) listener and pool schemas. */
export function loadBalancerPost(listener: TSchema, pool: TSchema) {
  return Type.Object({
    name: Opt(Name), description: Opt(Description), admin_state_up: Type.Optional(Type.Boolean()),
    vip_address: Opt(IpAddress), vip_port_id: Opt(Uuid), vip_subnet_id: Opt(Uuid), vip_network_id: Opt(Uuid),
    vip_qos_policy_id: Opt(Uuid),
    additional_vips: Type.Optional(Type.Array(Type.Object({ subnet_id: Uuid, ip_address: Opt(IpAddress) }, { additionalProperties: false }), { maxItems: 0 })),
    project_id: Opt(ProjectId), listeners: Opt(Type.Array(listener)), pools: Opt(Type.Array(pool)),
    provider: Opt(Type.String({ maxLength: 64 })), tags: Opt(Tags), flavor_id: Opt(Uuid),
    availability_zone: Opt(Type.String({ maxLength: 255 })),
  }, { additionalProperties: false });
}

/** Drops keys whose value is null or undefined (null means "not given" on create). */
export function defined<T extends Record<string, unknown>>(o: T): { [K in keyof T]?: Exclude<T[K], null> } {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== null && v !== undefined)) as { [K in keyof T]?: Exclude<T[K], null> };
}
