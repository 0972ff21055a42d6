/**
 * Reading the README's shell blocks as a shell would, for test/readme-shell.test.ts: the lines of
 * every ```sh block (a trailing `\` joins the next line), each split into commands at `&&` and
 * `;`, with `VAR=value` prefixes, `< file` and `> file` taken apart from the words. What a usage
 * line means for a reader and not a shell is dropped: `[--optional ...]` groups (and the `...`
 * after one, "repeat it") and a bare `...`. A pipe is refused: the runner has no pipelines, so a
 * README line with one must be handled there first.
 */

/** One command of a shell line. */
export interface ShellCommand {
  env: Record<string, string>;
  argv: string[];
  /** `< FILE` */
  stdin?: string;
  /** `> FILE` */
  stdout?: string;
}

/** A line of a README shell block: where it starts and its text with continuations joined. */
export interface ShellLine {
  line: number;
  text: string;
}

export function readmeShellLines(md: string): ShellLine[] {
  const out: ShellLine[] = [];
  const lines = md.split('\n');
  let sh = false;
  let fence = false;
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i]!;
    if (l.startsWith('```')) {
      sh = !fence && /^```(sh|bash|shell|console)\s*$/.test(l);
      fence = !fence;
      continue;
    }
    if (!fence || !sh || l.trim() === '') continue;
    const start = i + 1;
    let text = l;
    while (text.endsWith('\\') && i + 1 < lines.length) text = text.slice(0, -1) + ' ' + lines[++i]!.trim();
    out.push({ line: start, text: text.trim() });
  }
  return out;
}

/** The commands of one shell line. Throws on what the runner cannot do (a pipe, an unclosed quote). */
export function parseShellLine(text: string): ShellCommand[] {
  const commands: ShellCommand[] = [];
  let cmd: ShellCommand = { env: {}, argv: [] };
  let cur: string | null = null;
  let redirect: 'stdin' | 'stdout' | null = null;
  const endWord = () => {
    if (cur === null) return;
    if (redirect) {
      cmd[redirect] = cur;
      redirect = null;
    } else if (cmd.argv.length === 0 && /^[A-Z_][A-Z0-9_]*=/.test(cur)) {
      const eq = cur.indexOf('=');
      cmd.env[cur.slice(0, eq)] = cur.slice(eq + 1);
    } else if (cur !== '...') cmd.argv.push(cur);
    cur = null;
  };
  const endCommand = () => {
    endWord();
    if (redirect) throw new Error(`'${text}': a redirect without a file`);
    if (cmd.argv.length > 0) commands.push(cmd);
    cmd = { env: {}, argv: [] };
  };
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '"' || c === "'") {
      const j = text.indexOf(c, i + 1);
      if (j < 0) throw new Error(`'${text}': unclosed ${c}`);
      cur = (cur ?? '') + text.slice(i + 1, j);
      i = j;
    } else if (c === '\\' && i + 1 < text.length) cur = (cur ?? '') + text[++i];
    else if (/\s/.test(c)) endWord();
    else if (c === '#' && cur === null) break; // a comment
    else if (c === '[' && cur === null && text[i + 1] === '-') {
      // an optional group of a usage line: skip it (quotes inside may hold ']') and a '...' after it
      for (i++; i < text.length && text[i] !== ']'; i++) {
        if (text[i] === '"' || text[i] === "'") i = text.indexOf(text[i]!, i + 1);
        if (i < 0) throw new Error(`'${text}': unclosed quote in [...]`);
      }
      if (text.startsWith('...', i + 1)) i += 3;
    } else if (c === '>' || c === '<') {
      endWord();
      redirect = c === '>' ? 'stdout' : 'stdin';
    } else if (c === ';' || (c === '&' && text[i + 1] === '&')) {
      if (c === '&') i++;
      endCommand();
    } else if (c === '|' || c === '&') throw new Error(`'${text}': pipes and background jobs are not run here`);
    else cur = (cur ?? '') + c;
  }
  endCommand();
  return commands;
}

/** argv with `--name value` set: the README's value replaced where it gives one, else appended. */
export function setFlag(argv: string[], name: string, value: string): string[] {
  const i = argv.indexOf(`--${name}`);
  if (i < 0) return [...argv, `--${name}`, value];
  const out = [...argv];
  out[i + 1] = value;
  return out;
}

/** The value of `--name` in argv (the last one), or undefined. */
export function flagValue(argv: string[], name: string): string | undefined {
  const i = argv.lastIndexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : undefined;
}

/** Every value of a repeatable `--name`. */
export function flagValues(argv: string[], name: string): string[] {
  return argv.flatMap((w, i) => (w === `--${name}` && argv[i + 1] !== undefined ? [argv[i + 1]!] : []));
}

/** A `curl` command as a fetch: URL, method, headers, body; `-N` (no buffering) changes nothing here. */
export function curlRequest(argv: string[]): { url: string; init: RequestInit & { headers: Record<string, string> } } {
  let url: string | undefined;
  const headers: Record<string, string> = {};
  let body: string | undefined;
  for (let i = 1; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '-H') {
      const h = argv[++i]!;
      const colon = h.indexOf(':');
      headers[h.slice(0, colon).trim()] = h.slice(colon + 1).trim();
    } else if (a === '-d' || a === '--data') body = argv[++i];
    else if (a === '-N' || a === '-s') continue;
    else if (a.startsWith('-')) throw new Error(`curl ${a} is not understood by the README runner: add it to curlRequest`);
    else url = a;
  }
  if (!url) throw new Error(`curl without a URL: ${argv.join(' ')}`);
  // as curl does: -d sends a POST, form-encoded unless a Content-Type header says otherwise
  if (body !== undefined && !Object.keys(headers).some((k) => k.toLowerCase() === 'content-type')) headers['Content-Type'] = 'application/x-www-form-urlencoded';
  return { url, init: { method: body === undefined ? 'GET' : 'POST', headers, body } };
}
