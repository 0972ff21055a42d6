/**
 * scratchlm's public API in Node: the browser-safe library (src/browser.ts) and the file-system
 * parts (src/node.ts). The only door for cli/; web pages import src/browser.ts (the package's
 * "browser" condition does that for bundlers). New exports go into one of those two files.
 */
export * from './browser.js';
export * from './node.js';
