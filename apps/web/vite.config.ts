import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

// The app is served by the Haven server itself (same origin as the API and the event socket), under a strict CSP:
// no inline script or style, so nothing may be inlined into index.html.
export default defineConfig({
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    sourcemap: false,
    target: 'es2022',
  },
  server: {
    // `npm run dev -w @haven/web`: the Vite dev server proxies the API and the event socket to a running Haven.
    proxy: { '/api': { target: 'http://localhost:8080', ws: true } },
  },
});
