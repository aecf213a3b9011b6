import { lazy, Suspense, type ComponentType } from 'react';
import { useTranslation } from 'react-i18next';
import '../../../styles/operations.css';
import type { OperationsPageName } from './sections.js';
import IndexPage from './IndexPage.js';
import HoursPage from './HoursPage.js';
import HolidaysPage from './HolidaysPage.js';
import AvailabilityPage from './AvailabilityPage.js';
import OnCallPage from './OnCallPage.js';
import AutoResponsesPage from './AutoResponsesPage.js';
import TemplatesPage from './TemplatesPage.js';
import SlaPage from './SlaPage.js';

// The lexicon page is the largest and the least used: its own chunk.
const CrisisLexiconPage = lazy(() => import('./CrisisLexiconPage.js'));

const PAGES: Record<OperationsPageName, ComponentType> = {
  index: IndexPage,
  hours: HoursPage,
  holidays: HolidaysPage,
  availability: () => <AvailabilityPage who="admin" />,
  onCall: OnCallPage,
  autoResponses: AutoResponsesPage,
  templates: () => <TemplatesPage who="admin" />,
  sla: SlaPage,
  crisisLexicon: CrisisLexiconPage,
  myAvailability: () => <AvailabilityPage who="clinician" />,
  myTemplates: () => <TemplatesPage who="clinician" />,
};

/**
 * The operations settings (loaded lazily by App.tsx: admins and staff only, never in the patient app's first
 * download). One module for the area's pages; `page` names the route's page.
 */
export default function OperationsPage({ page }: { page: OperationsPageName }) {
  const { t } = useTranslation();
  const Page = PAGES[page];
  return (
    <Suspense
      fallback={
        <p className="page" role="status">
          {t('app.loading')}
        </p>
      }
    >
      <Page />
    </Suspense>
  );
}
