/**
 * The staff dashboard's strings (its areas: the thread view's staff tools, internal conversations, broadcasts,
 * analytics, compliance, the practice's settings: admin and operations), in every language. Loaded only once a provider, staff member,
 * admin or compliance officer is signed in (`loadStaffStrings` in i18n.ts), so the patient app never downloads them.
 * Each area's Spanish is typed against its English, so a missing string fails the typecheck.
 */
import type { Strings } from './en.js';
import { adminEn } from './admin.en.js';
import { adminEs } from './admin.es.js';
import { analyticsEn } from './analytics.en.js';
import { analyticsEs } from './analytics.es.js';
import { broadcastsEn } from './broadcasts.en.js';
import { broadcastsEs } from './broadcasts.es.js';
import { complianceEn } from './compliance.en.js';
import { complianceEs } from './compliance.es.js';
import { internalEn } from './internal.en.js';
import { internalEs } from './internal.es.js';
import { operationsEn } from './operations.en.js';
import { operationsEs } from './operations.es.js';
import { staffThreadEn } from './staffThread.en.js';
import { staffThreadEs } from './staffThread.es.js';

const en = { admin: adminEn, staffThread: staffThreadEn, internal: internalEn, broadcasts: broadcastsEn, analytics: analyticsEn, compliance: complianceEn, operations: operationsEn };
const es: Strings<typeof en> = { admin: adminEs, staffThread: staffThreadEs, internal: internalEs, broadcasts: broadcastsEs, analytics: analyticsEs, compliance: complianceEs, operations: operationsEs };

export const staffStrings = { en, es };
