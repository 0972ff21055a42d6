/**
 * Reading the README's shell blocks as a shell would, and running their commands, for
 * test/readme-shell.test.ts: the lines of every ```sh block (a trailing `\` joins the next line),
 * each split into commands at `&&` and `;`, with `VAR=value` prefixes, `< file` and `> file` taken
 * apart from the words. What a usage line means for a reader and not a shell is dropped:
 * `[--optional ...]` groups (and the `...` after one, "repeat it") and a bare `...`. A pipe is
 * refused: the runner has no pipelines, so a README line with one must be handled there first.
 * Below: processes (one at a time, or a server in the background until SIGINT) and the checks of
 * what the README's `curl` lines and `# prints:` comments say.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readdirSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { CLI } from './paths.js';

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

export interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function exec(cmd: string, args: string[], cwd: string, opts: { env?: Record<string, string>; stdin?: string; timeout?: number } = {}): Promise<Ran> {
  return new Promise((resolve) => {
    const fd = opts.stdin ? openSync(join(cwd, opts.stdin), 'r') : null;
    const child = spawn(cmd, args, { cwd, env: { ...process.env, ...opts.env }, stdio: [fd ?? 'ignore', 'pipe', 'pipe'], timeout: opts.timeout ?? 120_000 });
    if (fd !== null) closeSync(fd);
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d) => (stdout += d));
    child.stderr!.on('data', (d) => (stderr += d));
    child.on('error', (e) => (stderr += `${e.message}\n`)); // e.g. ENOENT: no such program (close follows)
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** A server started by a line (`serve`, `play`), until the next line that is not a `curl`. */
export interface Background {
  where: string;
  name: string;
  child: ChildProcess;
  url: string;
  /** The served model's id (serve). */
  model?: string;
  output: () => string;
}

export function startBackground(where: string, name: string, args: string[], cwd: string): Promise<Background> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`printed no address in 60 s:\n${out}`));
    }, 60_000);
    const onData = (d: Buffer) => {
      out += d;
      const m = /http:\/\/127\.0\.0\.1:\d+\/?(?=\s)/.exec(out); // the whole address (output arrives in pieces)
      if (m) {
        clearTimeout(timer);
        resolve({ where, name, child, url: m[0], output: () => out });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`exited with ${code} before printing its address:\n${out}`));
    });
  });
}

/** A port nothing listens on now (for torchrun's rendezvous; test/distributed.test.ts may run beside). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

/** SIGINT, as Ctrl-C; the README says both servers stop with exit code 0. */
export async function stopBackground(bg: Background): Promise<string[]> {
  const exited = new Promise<number | null>((r) => bg.child.once('exit', (code) => r(code)));
  bg.child.kill('SIGINT');
  const code = await Promise.race([exited, new Promise<'hung'>((r) => setTimeout(() => r('hung'), 15_000))]);
  if (code === 'hung') {
    bg.child.kill('SIGKILL');
    return [`${bg.where}: ${bg.name} did not stop within 15 s of SIGINT`];
  }
  return code === 0 ? [] : [`${bg.where}: ${bg.name} exited with ${code} after SIGINT:\n${bg.output()}`];
}

/** The shell's expansion of one `dir/prefix*suffix` pattern. */
export function globOne(dir: string, pattern: string): string[] {
  const slash = pattern.lastIndexOf('/');
  const [head, tail] = pattern.slice(slash + 1).split('*') as [string, string];
  const names = readdirSync(join(dir, pattern.slice(0, slash))).filter((n) => n.startsWith(head) && n.endsWith(tail)).sort();
  assert.ok(names.length > 0, `${pattern} matches no file`);
  return names.map((n) => `${pattern.slice(0, slash)}/${n}`);
}


/** A `# prints: TEXT` comment's claim as a pattern: `(...)` stands for anything, a port for any port. */
export function printsClaim(line: string): RegExp | null {
  const m = /#\s*prints:\s*(.+)$/.exec(line);
  if (!m) return null;
  const esc = m[1]!.trim().replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(esc.replace(/\\\(\\\.\\\.\\\.\\\)/g, '\\(.+\\)').replace(/:\d+/g, ':\\d+'));
}

export function checkCompletion(text: string, body: { stream?: boolean; max_tokens?: number }, model: string | undefined): void {
  const max = body.max_tokens ?? 16;
  if (body.stream) {
    const events = text.split('\n\n').filter((e) => e.trim()).map((e) => e.replace(/^data: /, ''));
    assert.equal(events.at(-1), '[DONE]', text.slice(-200));
    const chunks = events.slice(0, -1).map((e) => JSON.parse(e));
    assert.ok(chunks.length >= 1 && chunks.length <= max, `${chunks.length} chunks`);
    for (const ch of chunks) assert.equal(typeof ch.choices[0].text, 'string');
    assert.match(chunks.at(-1).choices[0].finish_reason, /^(length|stop)$/);
    if (model) assert.equal(chunks[0].model, model);
  } else {
    const j = JSON.parse(text);
    assert.equal(j.object, 'text_completion');
    assert.equal(typeof j.choices[0].text, 'string');
    assert.ok(j.usage.completion_tokens >= 1 && j.usage.completion_tokens <= max, JSON.stringify(j.usage));
    if (model) assert.equal(j.model, model);
  }
}
