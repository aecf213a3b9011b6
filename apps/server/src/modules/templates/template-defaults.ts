/**
 * Haven's default quick replies, added to an organization's templates the first time anyone of it lists them (admins
 * then edit or archive them like any organization template; an archived default does not come back). Each key is
 * stored with its row, so an organization gets each default once. Only variables Haven can fill are used.
 */
export const DEFAULT_QUICK_REPLIES: readonly { key: string; name: string; body: string }[] = [
  { key: 'got_it', name: 'Got it', body: 'Got it, thank you.' },
  { key: 'thanks', name: 'Thanks', body: 'Thanks!' },
  { key: 'received', name: 'Message received', body: 'Hi {patient.firstName}, we received your message and will reply as soon as we can.' },
  { key: 'check_with_provider', name: 'Checking with the provider', body: 'I will check with {provider.name} and get back to you.' },
  { key: 'urgent_call', name: 'If it is urgent', body: 'If this is urgent, please call us at {practice.phone}. In an emergency, call 911.' },
];
