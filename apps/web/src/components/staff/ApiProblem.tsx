import { useTranslation } from 'react-i18next';
import { problemsOf } from './colleagues.js';

/**
 * What the API refused, in plain words: a known field problem or error code in the reader's language, else the
 * server's own explanation. `field` limits it to the problems of one field (shown next to that field).
 */
export function ApiProblem({ error, field, id }: { error: unknown; field?: string; id?: string }) {
  const { t } = useTranslation();
  if (!error) return null;
  const p = problemsOf(error);
  let text: string;
  if (field) {
    const f = p?.fields.find((x) => x.field === field);
    if (!f) return null;
    const key = `staffThread.fieldErrors.${field}`;
    const known = t(key);
    text = known === key ? f.message : known;
  } else if (p) {
    // Field problems are shown next to their fields; this is the summary.
    const key = `staffThread.errors.${p.code}`;
    const known = t(key);
    text = p.fields.length > 0 ? t('staffThread.errors.checkFields') : known === key ? p.detail : known;
  } else {
    text = t('app.errorGeneric');
  }
  return (
    <p className="field-error" role="alert" id={id}>
      {text}
    </p>
  );
}
