/** The messaging policy a patient reads and accepts before writing (decision 0027). The policy text itself comes from the server, versioned. */
export const consentEn = {
  title: 'Before you send a message',
  changedTitle: 'Our messaging policy has changed',
  intro: 'Please read how messaging works. You can write your message after you agree.',
  changedIntro: 'Please read it again. You can write your message after you agree.',
  helpNow: 'Help right now',
  accept: 'I understand and agree',
  accepting: 'Saving…',
  accepted: 'Thank you. You can write your message now.',
  acceptedOn: 'You agreed to this policy on {{when}}.',
  reread: 'How messaging works',
  version: 'Policy version {{version}}',
  changedWhileReading: 'The policy changed while you were reading it. Please read the new version.',
  failed: 'We could not save your answer. Please try again.',
  loadFailed: 'We could not load how messaging works.',
  retry: 'Try again',
} as const;
