import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { BrowserRouter } from 'react-router';
import { App } from './App.js';
import { SessionProvider } from './hooks/useSession.js';
import { setupI18n } from './i18n.js';
import { registerServiceWorker } from './lib/pwa.js';
import './styles.css';

// A page restored from the back-forward cache could show a signed-out session's messages: load it afresh.
window.addEventListener('pageshow', (e) => {
  if (e.persisted) window.location.reload();
});

await setupI18n();
registerServiceWorker();
createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <BrowserRouter>
      <SessionProvider>
        <App />
      </SessionProvider>
    </BrowserRouter>
  </StrictMode>,
);
