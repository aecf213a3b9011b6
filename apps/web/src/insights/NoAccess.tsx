import { Link } from 'react-router';
import { useTranslation } from 'react-i18next';
import { Layout } from '../components/Layout.js';

/** What someone sees who opens a page their role does not give them: no data is asked for (the API refuses it too). */
export function NoAccess({ title }: { title: string }) {
  const { t } = useTranslation();
  return (
    <Layout title={title}>
      <h1 tabIndex={-1}>{title}</h1>
      <p>
        <Link to="/">{t('app.backHome')}</Link>
      </p>
    </Layout>
  );
}
