import { Link } from 'react-router';
import { useTranslation } from 'react-i18next';
import { OpsFrame } from './common.js';
import { operationsSections } from './sections.js';

/** The list of this area's settings pages, until the admin shell's navigation lists them. */
export default function IndexPage() {
  const { t } = useTranslation();
  return (
    <OpsFrame who="admin" title={t('operations.index.title')} intro={t('operations.index.intro')}>
      <ul className="ops__index">
        {operationsSections.map((s) => (
          <li key={s.path}>
            <Link to={s.path} className="ops__index-link">
              <span className="ops__item-title">{t(s.labelKey)}</span>
              <span className="hint">{t(`${s.labelKey}Hint`)}</span>
            </Link>
          </li>
        ))}
      </ul>
    </OpsFrame>
  );
}
