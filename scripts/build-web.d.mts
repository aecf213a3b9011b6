/** Whether apps/web/dist is missing or older than a source file. */
export function webBuildIsStale(): boolean;
/** Builds the web app with Vite's JS API if needed (or always with `force`); resolves to whether it built. */
export function buildWebIfNeeded(options?: { force?: boolean; quiet?: boolean }): Promise<boolean>;
