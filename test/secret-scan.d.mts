/** See secret-scan.mjs. */
export declare const SECRETS_FILE: string;
export declare function readSecrets(recordDir: string): { origin: string; secret: string }[];
export declare function scanForSecrets(
  recordDir: string,
  texts: Record<string, string>,
): { findings: { where: string; origin: string; line: string }[]; secrets: number; sources: number; bytes: number };
