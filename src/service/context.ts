/** @module service/context — who is calling: their project and what they may do. */
import { FulcrumError } from '../domain/errors.js';

export type { FilterValue, ListQuery, Store } from '../store/store.js';

/** The caller of a service function, as authenticated by the API. */
export interface Caller {
  /** The caller's project (Keystone project id), or null when none is known. */
  projectId: string | null;
  /** The user (null under noauth). */
  userId: string | null;
  /** The roles the token carries in its project. */
  roles: readonly string[];
  /** True under `--auth noauth` (Octavia's `is_admin:True`). */
  noauth: boolean;
  /** True when the caller may act on every project's objects (Octavia's load-balancer:admin). */
  isAdmin: boolean;
  /** True when the caller may see every project's objects (load-balancer:read-global). */
  readsAll: boolean;
}

/**
 * The project a new object belongs to: the body's `project_id` (admins only, or the caller's own)
 * or else the caller's project. Octavia's message when there is none.
 */
export function owningProject(caller: Caller, requested: string | undefined): string {
  if (requested !== undefined && requested !== caller.projectId && !caller.isAdmin) {
    throw new FulcrumError('FORBIDDEN', 'Policy does not allow this request to be performed.');
  }
  const projectId = requested ?? caller.projectId;
  if (!projectId) {
    throw new FulcrumError(
      'VALIDATION',
      'Validation failure: Missing project ID in request where one is required. An administrator should check the keystone settings in the Octavia configuration.',
      { field: 'project_id' },
    );
  }
  return projectId;
}

/** True when the caller may see an object of this project. */
export function canSee(caller: Caller, projectId: string): boolean {
  return caller.isAdmin || caller.readsAll || caller.projectId === projectId;
}
