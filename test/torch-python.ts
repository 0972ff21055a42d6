/**
 * Finding PyTorch for the tests that run it (test/distributed.test.ts). Debian's python3-torch
 * lives under /usr/bin/python3; a `python3` first on PATH (pyenv, a venv) may lack it.
 */
import { spawnSync } from 'node:child_process';

/** A Python that imports torch and torch.distributed.run, or null. */
export function findTorchPython(): string | null {
  for (const py of ['/usr/bin/python3', 'python3']) {
    const r = spawnSync(py, ['-c', 'import torch, torch.distributed.run'], { encoding: 'utf8' });
    if (r.status === 0) return py;
  }
  return null;
}

/**
 * The command that starts `torchrun` (argv before its own flags), or why it cannot run (a skip
 * reason). PyTorch 1.13's launcher on Python 3.11 (Debian 12's pair) cannot parse its default
 * `--redirects 0` / `--tee 0`: Std.from_str iterates the flag enum, which from Python 3.11 on
 * leaves out the zero member, and returns None, which crashes the launcher (AttributeError in
 * to_map). A per-rank mapping does parse, so there we pass `--redirects 1:1 --tee 1:1`: rank 0
 * prints straight to our stdout, rank 1's stdout (it prints nothing) is copied with a prefix.
 */
export function torchrunCommand(): string[] | string {
  const py = findTorchPython();
  if (!py) return 'python3-torch is missing (Debian: apt-get install python3-torch; .ci/run installs it)';
  const probe = spawnSync(py, ['-c', 'from torch.distributed.elastic.multiprocessing.api import Std; print(Std.from_str("0") is None)'], { encoding: 'utf8' });
  const broken = probe.status === 0 && probe.stdout.trim() === 'True';
  return [py, '-m', 'torch.distributed.run', ...(broken ? ['--redirects', '1:1', '--tee', '1:1'] : [])];
}
