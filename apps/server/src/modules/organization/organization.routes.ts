import type { HandlerMap } from '../../platform/http/endpoint.js';
import type { UserService } from '../users/user.service.js';
import type { OrganizationService } from './organization.service.js';

export function organizationHandlers(orgs: OrganizationService, users: UserService): Pick<HandlerMap, 'organization.get' | 'organization.update' | 'departments.create' | 'departments.list' | 'careTeams.create' | 'careTeams.list' | 'careTeams.members.add' | 'careTeams.members.remove'> {
  const assertStaff = (orgId: string) => (ids: string[]) => users.assertActiveStaff(orgId, ids);
  return {
    'organization.get': async (_in, ctx) => orgs.get(ctx),
    'organization.update': async ({ body }, ctx) => orgs.update(ctx, body),
    'departments.create': async ({ body }, ctx) => orgs.createDepartment(ctx, body.name),
    'departments.list': async (_in, ctx) => orgs.listDepartments(ctx),
    'careTeams.create': async ({ body }, ctx) => orgs.createCareTeam(ctx, body, assertStaff(ctx.actor.orgId)),
    'careTeams.list': async (_in, ctx) => orgs.listCareTeams(ctx),
    'careTeams.members.add': async ({ params, body }, ctx) => orgs.changeMember(ctx, params.id, body.userId, 'add', assertStaff(ctx.actor.orgId)),
    'careTeams.members.remove': async ({ params }, ctx) => orgs.changeMember(ctx, params.id, params.userId, 'remove', assertStaff(ctx.actor.orgId)),
  };
}
