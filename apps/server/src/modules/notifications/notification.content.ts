/**
 * The only texts Haven sends outside: one fixed template per channel. They name the practice (its notification
 * sender name) and carry a link that needs a sign-in, and nothing else: no message text, subject, topic, sender,
 * department or care team. Reviewed wording; change it only with the same review (docs/security.md).
 */
export interface NotificationContent {
  push: string;
  email: { subject: string; text: string };
  sms: string;
}

/** Control characters, angle brackets and runs of whitespace out; at most 60 characters. */
export function cleanSenderName(name: string): string {
  const cleaned = name.replace(/[\u0000-\u001f\u007f-\u009f<>]/g, ' ').replace(/\s+/g, ' ').trim().slice(0, 60);
  return cleaned || 'your care team';
}

/** The link: the app's base URL and a fixed path, with nothing that identifies a thread or a patient. */
export const inboxLink = (appUrl: string): string => `${appUrl.replace(/\/+$/, '')}/inbox`;

/**
 * Which fixed text: `message` (a new message arrived), and two that are not about one message (0011, follow-ups):
 * `waiting` (nudge a patient that a message waits for them) and `reminder` (a staff member's follow-up is due).
 */
export type NotificationTemplate = 'message' | 'waiting' | 'reminder';

export function renderNotification(senderName: string, appUrl: string, template: NotificationTemplate = 'message'): NotificationContent {
  const practice = cleanSenderName(senderName);
  const link = inboxLink(appUrl);
  if (template !== 'message') return renderOther(practice, link, template);
  const line = `You have a new secure message from ${practice}. Sign in to read it: ${link}`;
  return {
    push: JSON.stringify({ title: 'New secure message', body: `You have a new secure message from ${practice}. Sign in to read it.`, url: link }),
    email: {
      subject: `New secure message from ${practice}`,
      text: `${line}\n\nFor your privacy this e-mail does not contain the message. You can change how you are notified in the app's settings.\n`,
    },
    sms: `${line} Reply STOP to stop texts.`,
  };
}

// ---- 0011: follow-up reminders and nudges (same rules: the practice name and the link, nothing else) ----
function renderOther(practice: string, link: string, template: 'waiting' | 'reminder'): NotificationContent {
  const { title, sentence, subject } =
    template === 'waiting'
      ? { title: 'Secure message waiting', sentence: `A secure message from ${practice} is waiting for you.`, subject: `A secure message from ${practice} is waiting` }
      : { title: 'Follow-up reminder', sentence: `You have a follow-up reminder in ${practice}'s secure messaging.`, subject: `Follow-up reminder from ${practice}` };
  const action = template === 'waiting' ? 'Sign in to read it' : 'Sign in to see it';
  return {
    push: JSON.stringify({ title, body: `${sentence} ${action}.`, url: link }),
    email: {
      subject,
      text: `${sentence} ${action}: ${link}\n\nFor your privacy this e-mail does not contain any message. You can change how you are notified in the app's settings.\n`,
    },
    sms: `${sentence} ${action}: ${link} Reply STOP to stop texts.`,
  };
}
