#!/usr/bin/python3
"""PyTorch's time per generated token with a KV cache (the side-by-side baseline for
`scratchlm bench generate`).

A GPT-2-shaped model written here (pre-LayerNorm blocks, tanh GELU, tied head, learned positions,
random weights, float32), greedy decoding at batch 1: the prompt runs once, then each step feeds
one token against cached keys and values (past the block size the window slides and the cache is
rebuilt from the last block of tokens, as scratchlm does). Prints one JSON object: ms_per_token
(decode steps only), prefill_ms, peak_rss_mb and the OpenBLAS core in use.

  OMP_NUM_THREADS=1 LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/openblas-openmp \
    /usr/bin/python3 bench/pytorch_generate.py --preset gpt2 --tokens 64 --threads 1
"""
import argparse, ctypes, json, math, resource, statistics, time
import torch
import torch.nn as nn
import torch.nn.functional as F

PRESETS = {
    'baby': dict(n_layer=4, n_head=4, n_embd=128, block=64, vocab=65, bias=False),
    'gpt2': dict(n_layer=12, n_head=12, n_embd=768, block=1024, vocab=50257, bias=True),
}


class Block(nn.Module):
    def __init__(s, C, NH, bias):
        super().__init__()
        s.nh = NH
        s.ln1, s.ln2 = nn.LayerNorm(C), nn.LayerNorm(C)
        s.attn, s.proj = nn.Linear(C, 3 * C, bias=bias), nn.Linear(C, C, bias=bias)
        s.fc, s.fc2 = nn.Linear(C, 4 * C, bias=bias), nn.Linear(4 * C, C, bias=bias)

    def forward(s, x, cache, pos):
        """x (1, T, C) at positions pos..pos+T-1; cache = [k, v] each (1, NH, block, hs)."""
        B, T, C = x.shape
        hs = C // s.nh
        q, k, v = s.attn(s.ln1(x)).split(C, dim=2)
        q, k, v = [t.view(B, T, s.nh, hs).transpose(1, 2) for t in (q, k, v)]
        cache[0][:, :, pos:pos + T] = k
        cache[1][:, :, pos:pos + T] = v
        K, V = cache[0][:, :, :pos + T], cache[1][:, :, :pos + T]
        att = (q @ K.transpose(-2, -1)) / math.sqrt(hs)
        if T > 1:
            att = att.masked_fill(torch.ones(T, pos + T, dtype=torch.bool).triu(pos + 1), float('-inf'))
        y = att.softmax(-1) @ V
        x = x + s.proj(y.transpose(1, 2).reshape(B, T, C))
        return x + s.fc2(F.gelu(s.fc(s.ln2(x)), approximate='tanh'))


class GPT(nn.Module):
    def __init__(s, p):
        super().__init__()
        C = p['n_embd']
        s.p = p
        s.wte, s.wpe = nn.Embedding(p['vocab'], C), nn.Embedding(p['block'], C)
        s.blocks = nn.ModuleList([Block(C, p['n_head'], p['bias']) for _ in range(p['n_layer'])])
        s.lnf = nn.LayerNorm(C)
        for w in s.parameters():
            nn.init.normal_(w, std=0.02) if w.dim() >= 2 else None

    def new_cache(s):
        p = s.p
        shape = (1, p['n_head'], p['block'], p['n_embd'] // p['n_head'])
        return [[torch.zeros(shape), torch.zeros(shape)] for _ in s.blocks]

    def forward(s, idx, caches, pos):
        """Logits (V) of the last of idx (1, T), whose first token sits at position pos."""
        T = idx.shape[1]
        x = s.wte(idx) + s.wpe(torch.arange(pos, pos + T))
        for b, c in zip(s.blocks, caches):
            x = b(x, c, pos)
        return s.lnf(x[:, -1]) @ s.wte.weight.T


def openblas_core():
    try:
        for line in open('/proc/self/maps'):
            if 'openblas' in line and line.rstrip().endswith('.so.0') or ('libopenblas' in line and '.so' in line):
                lib = ctypes.CDLL(line.split()[-1])
                lib.openblas_get_corename.restype = ctypes.c_char_p
                return lib.openblas_get_corename().decode()
    except Exception as e:  # noqa: BLE001
        return f'unknown ({e})'
    return 'not loaded'


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--preset', default='baby', choices=PRESETS)
    ap.add_argument('--tokens', type=int, default=0, help='tokens to generate (default: to the block size, at most 128)')
    ap.add_argument('--prompt-tokens', type=int, default=16)
    ap.add_argument('--threads', type=int, default=1)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    p = PRESETS[a.preset]
    n = a.tokens or min(128, p['block'] - a.prompt_tokens)
    with torch.inference_mode():
        m = GPT(p).eval()
        caches = m.new_cache()
        prompt = torch.randint(0, p['vocab'], (1, a.prompt_tokens)).tolist()[0]

        def run(ntok):
            ctx = list(prompt[-p['block']:])
            t0 = time.perf_counter()
            logits = m(torch.tensor([ctx]), caches, 0)
            length = len(ctx)
            prefill = (time.perf_counter() - t0) * 1000
            steps = []
            c0 = time.process_time()
            for i in range(ntok):
                t = int(torch.argmax(logits))
                ctx.append(t)
                if i == ntok - 1:
                    break
                t0 = time.perf_counter()
                if length < p['block']:
                    logits = m(torch.tensor([[t]]), caches, length)
                    length += 1
                else:
                    logits = m(torch.tensor([ctx[-p['block']:]]), caches, 0)
                steps.append((time.perf_counter() - t0) * 1000)
            return prefill, steps, (time.process_time() - c0) * 1000



        run(min(4, n))  # warm-up
        prefill, steps, cpu = run(n)
    ms = sum(steps) / max(1, len(steps))
    print(json.dumps({'system': f'pytorch {torch.__version__}', 'preset': a.preset, 'threads': a.threads, 'tokens': n,
                      'prompt_tokens': a.prompt_tokens, 'ms_per_token': ms, 'median_ms': statistics.median(steps) if steps else 0,
                      'prefill_ms': prefill, 'cpu_ms_per_token': cpu / max(1, len(steps)), 'peak_rss_mb': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                      'openblas_core': openblas_core()}))


main()
