/** Builds apps/server/dist/haven.mjs if it is missing or older than its sources (or always with `force`); resolves to whether it built. */
export function buildServerIfNeeded(opts?: { force?: boolean; quiet?: boolean }): Promise<boolean>;
