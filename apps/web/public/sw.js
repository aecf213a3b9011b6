// Haven's service worker: makes the app installable and shows Web Push notifications. It caches nothing and answers
// no requests (no fetch handler): pages, app files and API answers always come from the network, so no message,
// name or other health information is ever kept by it. A push says only that a secure message is waiting (the server
// sends no health information in it); a click opens the inbox (/inbox), signing in first if needed.
const FALLBACK = { title: 'Haven', body: 'You have a new secure message. Sign in to read it.' };

self.addEventListener('install', () => {
  self.skipWaiting();
});

self.addEventListener('activate', (event) => {
  event.waitUntil(self.clients.claim());
});

self.addEventListener('push', (event) => {
  let title = FALLBACK.title;
  let body = FALLBACK.body;
  try {
    const data = event.data ? event.data.json() : null;
    // Only the server's generic wording (title, one sentence) is shown; nothing else from the payload is used.
    if (data && typeof data.title === 'string' && data.title.length <= 100) title = data.title;
    if (data && typeof data.body === 'string' && data.body.length <= 300) body = data.body;
  } catch {
    // Not JSON: keep the generic text.
  }
  event.waitUntil(self.registration.showNotification(title, { body, icon: '/icons/icon-192.png', tag: 'haven-message', renotify: true, data: { url: '/inbox' } }));
});

self.addEventListener('notificationclick', (event) => {
  event.notification.close();
  event.waitUntil(
    (async () => {
      const url = new URL('/inbox', self.location.origin).href;
      const windows = await self.clients.matchAll({ type: 'window', includeUncontrolled: true });
      for (const w of windows) {
        if (new URL(w.url).origin === self.location.origin && 'focus' in w) {
          await w.focus();
          if ('navigate' in w) await w.navigate(url);
          return;
        }
      }
      await self.clients.openWindow(url);
    })(),
  );
});
