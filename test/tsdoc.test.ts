/**
 * The public API is documented: every symbol the package exports (src/browser.ts, src/node.ts,
 * and so src/index.ts; server/index.ts for 'scratchlm/server') has a TSDoc comment, and so does
 * every public member of every exported class. (Fields of exported interfaces are not required:
 * many are self-describing, like `loss: number`.) Read with the TypeScript compiler from the
 * sources, so the comments checked are the ones editors show.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import ts from 'typescript';
import { REPO } from './paths.js';

const ENTRIES = ['src/browser.ts', 'src/node.ts', 'server/index.ts'];

function program(): { prog: ts.Program; checker: ts.TypeChecker } {
  const cfg = ts.getParsedCommandLineOfConfigFile(join(REPO, 'tsconfig.json'), {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => {} });
  assert.ok(cfg, 'tsconfig.json reads');
  const prog = ts.createProgram(ENTRIES.map((e) => join(REPO, e)), { ...cfg.options, noEmit: true });
  return { prog, checker: prog.getTypeChecker() };
}

const where = (n: ts.Node) => {
  const sf = n.getSourceFile();
  return `${sf.fileName.slice(REPO.length + 1)}:${sf.getLineAndCharacterOfPosition(n.getStart()).line + 1}`;
};

/** A doc comment with words in it, on the symbol or (for `export * as x`) on the export itself. */
function documented(sym: ts.Symbol, checker: ts.TypeChecker): boolean {
  if (sym.getDocumentationComment(checker).some((p) => p.text.trim() !== '')) return true;
  const exportOf = (d: ts.Node): ts.Node => (ts.isNamespaceExport(d) ? d.parent : ts.isExportSpecifier(d) ? d.parent.parent : d);
  return (sym.declarations ?? []).some((d) => ts.getJSDocCommentsAndTags(exportOf(d)).some((j) => ts.isJSDoc(j) && typeof j.comment === 'string' && j.comment.trim() !== ''));
}

test('every exported symbol and every public member of an exported class has a TSDoc comment', () => {
  const { prog, checker } = program();
  const missing: string[] = [];
  let symbols = 0;
  let members = 0;
  const seen = new Set<ts.Symbol>();
  for (const entry of ENTRIES) {
    const sf = prog.getSourceFile(join(REPO, entry));
    assert.ok(sf, entry);
    for (const ex of checker.getExportsOfModule(checker.getSymbolAtLocation(sf)!)) {
      const sym = ex.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(ex) : ex;
      if (seen.has(sym)) continue;
      seen.add(sym);
      symbols++;
      const decl = sym.declarations?.[0];
      if (!documented(sym, checker) && !documented(ex, checker)) missing.push(`${ex.name} (${decl ? where(decl) : entry})`);
      for (const d of sym.declarations ?? []) {
        if (!ts.isClassDeclaration(d)) continue;
        for (const m of d.members) {
          if (ts.isConstructorDeclaration(m) || ts.isClassStaticBlockDeclaration(m) || ts.isIndexSignatureDeclaration(m) || ts.isSemicolonClassElement(m)) continue;
          if (ts.getCombinedModifierFlags(m) & (ts.ModifierFlags.Private | ts.ModifierFlags.Protected)) continue;
          if (!m.name || ts.isPrivateIdentifier(m.name) || m.name.getText().startsWith('_')) continue;
          members++;
          const ms = checker.getSymbolAtLocation(m.name);
          const internal = ts.getJSDocTags(m).some((t) => t.tagName.text === 'internal');
          if (!internal && !(ms && documented(ms, checker))) missing.push(`${ex.name}.${m.name.getText()} (${where(m)})`);
        }
      }
    }
  }
  assert.deepEqual(missing, [], `${missing.length} public symbols without a doc comment`);
  assert.ok(symbols > 300 && members > 100, `${symbols} symbols, ${members} members: is the walk still reading the entry points?`);
});
