/**
 * The practice's operations settings (issue #5, "Settings for admins"): hours, holidays, who is away and who
 * covers, on call, automatic replies, templates, response-time targets and the crisis lexicon. Each entry is a page
 * of the admin settings (`path` under /staff/admin, `labelKey` an i18next key); the admin shell lists them.
 * Providers and staff have their own two pages (their availability and their templates), linked from the header.
 */
export type OperationsPageName =
  | 'index'
  | 'hours'
  | 'holidays'
  | 'availability'
  | 'onCall'
  | 'autoResponses'
  | 'templates'
  | 'sla'
  | 'crisisLexicon'
  | 'myAvailability'
  | 'myTemplates';

export interface OperationsSection {
  path: string;
  labelKey: string;
}

/** The admin settings sections of this area, in the order the navigation shows them. */
export const operationsSections: OperationsSection[] = [
  { path: '/staff/admin/hours', labelKey: 'operations.nav.hours' },
  { path: '/staff/admin/holidays', labelKey: 'operations.nav.holidays' },
  { path: '/staff/admin/availability', labelKey: 'operations.nav.availability' },
  { path: '/staff/admin/on-call', labelKey: 'operations.nav.onCall' },
  { path: '/staff/admin/auto-responses', labelKey: 'operations.nav.autoResponses' },
  { path: '/staff/admin/templates', labelKey: 'operations.nav.templates' },
  { path: '/staff/admin/sla', labelKey: 'operations.nav.sla' },
  { path: '/staff/admin/crisis-lexicon', labelKey: 'operations.nav.crisisLexicon' },
];

/** Every route of this area and the page it shows (App.tsx maps them to one lazily loaded module). */
export const operationsRoutes: { path: string; page: OperationsPageName }[] = [
  { path: '/staff/admin/operations', page: 'index' },
  { path: '/staff/admin/hours', page: 'hours' },
  { path: '/staff/admin/holidays', page: 'holidays' },
  { path: '/staff/admin/availability', page: 'availability' },
  { path: '/staff/admin/on-call', page: 'onCall' },
  { path: '/staff/admin/auto-responses', page: 'autoResponses' },
  { path: '/staff/admin/templates', page: 'templates' },
  { path: '/staff/admin/sla', page: 'sla' },
  { path: '/staff/admin/crisis-lexicon', page: 'crisisLexicon' },
  { path: '/staff/my/availability', page: 'myAvailability' },
  { path: '/staff/my/templates', page: 'myTemplates' },
];
