import { lazy, type ComponentType, type LazyExoticComponent } from 'react';
import { operationsSections } from './operations/sections.js';

/**
 * The sections of the admin settings (/staff/admin/<path>), in the order the settings navigation lists them.
 * One line per section: `labelKey` is its i18next key; `page` (optional) is its lazily loaded page (a default
 * export), which the admin shell routes at /staff/admin/<path> inside the admin layout. A section without `page`
 * has its own route in App.tsx and is only listed here.
 */
export interface AdminSection {
  path: string;
  labelKey: string;
  page?: LazyExoticComponent<ComponentType>;
}

export const adminSections: AdminSection[] = [
  { path: 'people', labelKey: 'admin.nav.people', page: lazy(() => import('./PeoplePage.js')) },
  { path: 'patients', labelKey: 'admin.nav.patients', page: lazy(() => import('./PatientsPage.js')) },
  { path: 'departments', labelKey: 'admin.nav.departments', page: lazy(() => import('./DepartmentsPage.js')) },
  { path: 'care-teams', labelKey: 'admin.nav.careTeams', page: lazy(() => import('./CareTeamsPage.js')) },
  { path: 'routing', labelKey: 'admin.nav.routing', page: lazy(() => import('./RoutingPage.js')) },
  { path: 'rollout', labelKey: 'admin.nav.rollout', page: lazy(() => import('./RolloutPage.js')) },
  // Hours, holidays, cover, on call, automatic replies, templates, response times, crisis lexicon: routed in App.tsx.
  ...operationsSections.map((s) => ({ path: s.path.replace('/staff/admin/', ''), labelKey: s.labelKey })),
];
