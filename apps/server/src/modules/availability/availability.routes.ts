import type { HandlerMap } from '../../platform/http/endpoint.js';
import type { AvailabilityService } from './availability.service.js';

type AvailabilityOps =
  | 'availability.hours.get'
  | 'availability.hours.update'
  | 'availability.departmentHours.get'
  | 'availability.departmentHours.update'
  | 'availability.holidays.list'
  | 'availability.holidays.create'
  | 'availability.holidays.delete'
  | 'availability.status'
  | 'availability.staff.list'
  | 'availability.staff.get'
  | 'availability.staff.update'
  | 'availability.outOfOffice.create'
  | 'availability.outOfOffice.update'
  | 'availability.outOfOffice.delete'
  | 'onCall.shifts.list'
  | 'onCall.shifts.create'
  | 'onCall.shifts.delete'
  | 'onCall.current';

export function availabilityHandlers(availability: AvailabilityService): Pick<HandlerMap, AvailabilityOps> {
  return {
    'availability.hours.get': async (_in, ctx) => availability.getHours(ctx),
    'availability.hours.update': async ({ body }, ctx) => availability.updateHours(ctx, body),
    'availability.departmentHours.get': async ({ params }, ctx) => availability.getDepartmentHours(ctx, params.departmentId),
    'availability.departmentHours.update': async ({ params, body }, ctx) => availability.updateDepartmentHours(ctx, params.departmentId, body),
    'availability.holidays.list': async ({ query }, ctx) => availability.listHolidays(ctx, query ?? {}),
    'availability.holidays.create': async ({ body }, ctx) => availability.createHoliday(ctx, body),
    'availability.holidays.delete': async ({ params }, ctx) => availability.deleteHoliday(ctx, params.holidayId),
    'availability.status': async ({ query }, ctx) => availability.status(ctx, query ?? {}),
    'availability.staff.list': async ({ query }, ctx) => availability.listStaff(ctx, query ?? {}),
    'availability.staff.get': async ({ params }, ctx) => availability.getStaff(ctx, params.userId),
    'availability.staff.update': async ({ params, body }, ctx) => availability.updateStaff(ctx, params.userId, body),
    'availability.outOfOffice.create': async ({ params, body }, ctx) => availability.createOutOfOffice(ctx, params.userId, body),
    'availability.outOfOffice.update': async ({ params, body }, ctx) => availability.updateOutOfOffice(ctx, params.userId, params.outOfOfficeId, body),
    'availability.outOfOffice.delete': async ({ params }, ctx) => availability.deleteOutOfOffice(ctx, params.userId, params.outOfOfficeId),
    'onCall.shifts.list': async ({ query }, ctx) => availability.listShifts(ctx, query ?? {}),
    'onCall.shifts.create': async ({ body }, ctx) => availability.createShift(ctx, body),
    'onCall.shifts.delete': async ({ params }, ctx) => availability.deleteShift(ctx, params.shiftId),
    'onCall.current': async ({ query }, ctx) => availability.currentOnCall(ctx, query ?? {}),
  };
}
