/** See runner-packages.mjs. */
export declare const RUNNER_PACKAGES: readonly string[];
