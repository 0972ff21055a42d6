#!/usr/bin/python3
"""nanoGPT's `baby` run in PyTorch, for comparing scratchlm's quality-bar result seed by seed.

The same recipe as nanoGPT's train.py with its CPU settings (4 layers, 4 heads, 128 wide, block 64,
batch 12, no bias, no dropout, AdamW lr 1e-3 → 1e-4 over 2000 iterations with 100 warm-up,
betas (0.9, 0.99), weight decay 0.1 on 2-D tensors, clip 1.0, evaluation on 20 batches): prints
the val loss at iteration 2000 as JSON. A benchmark, not a test.

  OMP_NUM_THREADS=1 /usr/bin/python3 bench/pytorch_baby_train.py --seed 1337 [--gelu tanh|exact]
"""
import argparse, json, math, os, time
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

ap = argparse.ArgumentParser()
ap.add_argument('--seed', type=int, default=1337)
ap.add_argument('--gelu', default='exact', choices=['exact', 'tanh'])
ap.add_argument('--iters', type=int, default=2000)
ap.add_argument('--data', default=os.path.join(os.path.dirname(__file__), '..', '..', 'shared', 'data', 'tinyshakespeare.txt'))
a = ap.parse_args()
torch.manual_seed(a.seed)
torch.set_num_threads(1)

text = open(a.data, encoding='utf-8').read()
chars = sorted(set(text))
stoi = {c: i for i, c in enumerate(chars)}
ids = np.array([stoi[c] for c in text], dtype=np.int64)
n = int(0.9 * len(ids))
data = {'train': torch.from_numpy(ids[:n]), 'val': torch.from_numpy(ids[n:])}
V, L, NH, C, T, B = len(chars), 4, 4, 128, 64, 12


class LayerNorm(nn.Module):  # nanoGPT's bias-free LayerNorm
    def __init__(s, C):
        super().__init__()
        s.weight = nn.Parameter(torch.ones(C))

    def forward(s, x):
        return F.layer_norm(x, s.weight.shape, s.weight, None, 1e-5)


class Block(nn.Module):
    def __init__(s):
        super().__init__()
        s.ln_1, s.ln_2 = LayerNorm(C), LayerNorm(C)
        s.c_attn, s.c_proj = nn.Linear(C, 3 * C, bias=False), nn.Linear(C, C, bias=False)
        s.c_fc, s.mlp_proj = nn.Linear(C, 4 * C, bias=False), nn.Linear(4 * C, C, bias=False)

    def forward(s, x):
        Bx, Tx, _ = x.shape
        q, k, v = s.c_attn(s.ln_1(x)).split(C, dim=2)
        q, k, v = [t.view(Bx, Tx, NH, C // NH).transpose(1, 2) for t in (q, k, v)]
        att = (q @ k.transpose(-2, -1)) / math.sqrt(C // NH)
        att = att.masked_fill(torch.ones(Tx, Tx, dtype=torch.bool).triu(1), float('-inf')).softmax(-1)
        x = x + s.c_proj((att @ v).transpose(1, 2).reshape(Bx, Tx, C))
        h = s.c_fc(s.ln_2(x))
        h = F.gelu(h, approximate='tanh') if a.gelu == 'tanh' else F.gelu(h)
        return x + s.mlp_proj(h)


class GPT(nn.Module):
    def __init__(s):
        super().__init__()
        s.wte, s.wpe = nn.Embedding(V, C), nn.Embedding(T, C)
        s.h = nn.ModuleList([Block() for _ in range(L)])
        s.ln_f = LayerNorm(C)
        for m in s.modules():
            if isinstance(m, (nn.Linear, nn.Embedding)):
                nn.init.normal_(m.weight, 0.0, 0.02)
        for name, p in s.named_parameters():
            if name.endswith('c_proj.weight') or name.endswith('mlp_proj.weight'):
                nn.init.normal_(p, 0.0, 0.02 / math.sqrt(2 * L))

    def forward(s, idx, tgt):
        x = s.wte(idx) + s.wpe(torch.arange(idx.shape[1]))
        for b in s.h:
            x = b(x)
        logits = s.ln_f(x) @ s.wte.weight.T
        return F.cross_entropy(logits.view(-1, V), tgt.view(-1))


def batch(split):
    d = data[split]
    ix = torch.randint(len(d) - T, (B,))
    return torch.stack([d[i:i + T] for i in ix]), torch.stack([d[i + 1:i + 1 + T] for i in ix])


@torch.no_grad()
def estimate():
    m.eval()
    out = {}
    for split in ('train', 'val'):
        out[split] = sum(m(*batch(split)).item() for _ in range(20)) / 20
    m.train()
    return out


def lr_at(it, lr=1e-3, min_lr=1e-4, warm=100, decay=2000):
    if it < warm:
        return lr * (it + 1) / (warm + 1)
    if it > decay:
        return min_lr
    return min_lr + 0.5 * (1 + math.cos(math.pi * (it - warm) / (decay - warm))) * (lr - min_lr)


m = GPT()
decay = [p for p in m.parameters() if p.dim() >= 2]
rest = [p for p in m.parameters() if p.dim() < 2]
opt = torch.optim.AdamW([{'params': decay, 'weight_decay': 0.1}, {'params': rest, 'weight_decay': 0.0}], lr=1e-3, betas=(0.9, 0.99))
t0 = time.time()
for it in range(a.iters + 1):
    if it % 250 == 0 or it == a.iters:
        l = estimate()
        if it == a.iters:
            break
    for g in opt.param_groups:
        g['lr'] = lr_at(it)
    loss = m(*batch('train'))
    opt.zero_grad(set_to_none=True)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(m.parameters(), 1.0)
    opt.step()
print(json.dumps({'system': 'pytorch', 'seed': a.seed, 'gelu': a.gelu, 'iter': a.iters, 'val_loss': l['val'], 'train_loss': l['train'], 'seconds': time.time() - t0}))
