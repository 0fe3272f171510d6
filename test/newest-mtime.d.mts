/** See newest-mtime.mjs. */
export declare function newestMtime(dir: string): number;
