export const BUNDLE_FILE: string;
export const BUNDLE_SOURCES: string[];
/** Whether `bundle` exists and is newer than every file under `sources`. */
export function bundleIsFresh(bundle?: string, sources?: string[]): boolean;
/** Bundles src/cli.ts into `outfile`; resolves to its path. */
export function buildBundle(opts?: { outfile?: string }): Promise<string>;
