/**
 * The security suite of Batch Jobs. Nothing to import: the package holds
 * only tests (see README.md), run by `backstage-cli repo test`.
 *
 * @packageDocumentation
 */
export {};
