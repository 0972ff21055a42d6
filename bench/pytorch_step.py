#!/usr/bin/python3
"""PyTorch's time for one training step of a nanoGPT-style model (the side-by-side baseline).

A small GPT written here (bias-free, no dropout, tied head, as nanoGPT's baby config), one step =
forward + backward + clip_grad_norm_(1.0) + AdamW. Prints one JSON object with ms_per_iter
(median after warm-up) and tokens_per_s.

  OMP_NUM_THREADS=2 LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/openblas-openmp \
    /usr/bin/python3 bench/pytorch_step.py --preset baby --iters 30 --threads 2
"""
import argparse, json, math, statistics, time
import torch
import torch.nn as nn
import torch.nn.functional as F

PRESETS = {
    'baby': dict(n_layer=4, n_head=4, n_embd=128, block=64, batch=12, vocab=65),
    'shakespeare': dict(n_layer=6, n_head=6, n_embd=384, block=256, batch=12, vocab=65),
}


class Block(nn.Module):
    def __init__(s, C, NH):
        super().__init__()
        s.nh = NH
        s.ln1, s.ln2 = nn.LayerNorm(C), nn.LayerNorm(C)  # torch 1.13 has no bias-free LayerNorm
        s.attn, s.proj = nn.Linear(C, 3 * C, bias=False), nn.Linear(C, C, bias=False)
        s.fc, s.fc2 = nn.Linear(C, 4 * C, bias=False), nn.Linear(4 * C, C, bias=False)

    def forward(s, x):
        B, T, C = x.shape
        q, k, v = s.attn(s.ln1(x)).split(C, dim=2)
        q, k, v = [t.view(B, T, s.nh, C // s.nh).transpose(1, 2) for t in (q, k, v)]
        y = F.scaled_dot_product_attention(q, k, v, is_causal=True) if hasattr(F, 'scaled_dot_product_attention') else None
        if y is None:
            att = (q @ k.transpose(-2, -1)) / math.sqrt(C // s.nh)
            att = att.masked_fill(torch.ones(T, T, dtype=torch.bool).triu(1), float('-inf')).softmax(-1)
            y = att @ v
        x = x + s.proj(y.transpose(1, 2).reshape(B, T, C))
        return x + s.fc2(F.gelu(s.fc(s.ln2(x)), approximate='tanh'))


class GPT(nn.Module):
    def __init__(s, p):
        super().__init__()
        C = p['n_embd']
        s.wte, s.wpe = nn.Embedding(p['vocab'], C), nn.Embedding(p['block'], C)
        s.blocks = nn.ModuleList([Block(C, p['n_head']) for _ in range(p['n_layer'])])
        s.lnf = nn.LayerNorm(C)

    def forward(s, idx, tgt):
        x = s.wte(idx) + s.wpe(torch.arange(idx.shape[1]))
        for b in s.blocks:
            x = b(x)
        logits = s.lnf(x) @ s.wte.weight.T
        return F.cross_entropy(logits.view(-1, logits.size(-1)), tgt.view(-1))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--preset', default='baby', choices=PRESETS)
    ap.add_argument('--iters', type=int, default=30)
    ap.add_argument('--warmup', type=int, default=5)
    ap.add_argument('--threads', type=int, default=1)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    p = PRESETS[a.preset]
    m = GPT(p)
    decay = [q for q in m.parameters() if q.dim() >= 2]
    rest = [q for q in m.parameters() if q.dim() < 2]
    opt = torch.optim.AdamW([{'params': decay, 'weight_decay': 0.1}, {'params': rest, 'weight_decay': 0.0}], lr=1e-3, betas=(0.9, 0.99))
    idx = torch.randint(0, p['vocab'], (p['batch'], p['block']))
    tgt = torch.randint(0, p['vocab'], (p['batch'], p['block']))
    times = []
    for i in range(a.warmup + a.iters):
        t0 = time.perf_counter()
        loss = m(idx, tgt)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(m.parameters(), 1.0)
        opt.step()
        if i >= a.warmup:
            times.append((time.perf_counter() - t0) * 1000)
    ms = statistics.median(times)
    print(json.dumps({'system': f'pytorch {torch.__version__}', 'preset': a.preset, 'threads': a.threads,
                      'ms_per_iter': ms, 'tokens_per_s': p['batch'] * p['block'] / ms * 1000, 'blas_core': blas_core()}))


def blas_core():
    """The kernels OpenBLAS chose at load time (openblas_get_corename), e.g. Cooperlake or Haswell."""
    import ctypes
    try:
        lib = ctypes.CDLL('libopenblas.so.0')
        lib.openblas_get_corename.restype = ctypes.c_char_p
        return lib.openblas_get_corename().decode()
    except (OSError, AttributeError):
        return 'unknown'


main()
