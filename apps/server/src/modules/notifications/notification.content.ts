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

export function renderNotification(senderName: string, appUrl: string): NotificationContent {
  const practice = cleanSenderName(senderName);
  const link = inboxLink(appUrl);
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
