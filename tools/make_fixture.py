#!/usr/bin/python3
"""Writes a PyTorch golden fixture folder in the format of ../shared/fixtures/README.md.

Our own oracle for `scratchlm check` on shapes the shared fixture does not cover (odd head
sizes, vocabularies that are not multiples of 4, odd batch and sequence sizes, greedy decoding
past the block size). Everything is computed by PyTorch in float64 and stored as float32.

  /usr/bin/python3 tools/make_fixture.py OUT_DIR --layers 1 --heads 3 --embd 15 --positions 6 \
      --vocab 67 --batch 3 --seq 5 --prompt 2 --greedy 14 --steps 5 --seed 1
(PyTorch from Debian: apt-get install python3-torch.)
"""
import argparse, json, math, os, struct
import torch

p = argparse.ArgumentParser()
p.add_argument('out')
for k, d in [('layers', 1), ('heads', 3), ('embd', 15), ('positions', 6), ('vocab', 67), ('batch', 3),
             ('seq', 5), ('prompt', 2), ('greedy', 14), ('steps', 5), ('seed', 1)]:
    p.add_argument('--' + k, type=int, default=d)
a = p.parse_args()
dt = torch.float64
L, NH, C, NP, V = a.layers, a.heads, a.embd, a.positions, a.vocab


def make_weights():
  # weights under Hugging Face names, Conv1D layout (in, out); biases and gains random so they matter
  W = {'wte.weight': torch.randn(V, C, dtype=dt) * 0.3, 'wpe.weight': torch.randn(NP, C, dtype=dt) * 0.3}
  for l in range(L):
    h = f'h.{l}.'
    for ln in ('ln_1', 'ln_2'):
        W[h + ln + '.weight'] = 1 + 0.2 * torch.randn(C, dtype=dt)
        W[h + ln + '.bias'] = 0.2 * torch.randn(C, dtype=dt)
    for name, i, o in (('attn.c_attn', C, 3 * C), ('attn.c_proj', C, C), ('mlp.c_fc', C, 4 * C), ('mlp.c_proj', 4 * C, C)):
        W[h + name + '.weight'] = torch.randn(i, o, dtype=dt) / math.sqrt(i)
        W[h + name + '.bias'] = 0.1 * torch.randn(o, dtype=dt)
  W['ln_f.weight'] = 1 + 0.2 * torch.randn(C, dtype=dt)
  W['ln_f.bias'] = 0.2 * torch.randn(C, dtype=dt)
  return {k: v.float().double().requires_grad_(True) for k, v in W.items()}  # exactly float32-representable


def gelu(x):
    return 0.5 * x * (1 + torch.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3)))


def ln(x, w, b):
    m = x.mean(-1, keepdim=True)
    v = ((x - m) ** 2).mean(-1, keepdim=True)
    return (x - m) / torch.sqrt(v + 1e-5) * w + b


def forward(idx):
    B, T = idx.shape
    x = W['wte.weight'][idx] + W['wpe.weight'][:T]
    hs = C // NH
    mask = torch.tril(torch.ones(T, T, dtype=torch.bool))
    for l in range(L):
        h = f'h.{l}.'
        y = ln(x, W[h + 'ln_1.weight'], W[h + 'ln_1.bias'])
        qkv = y @ W[h + 'attn.c_attn.weight'] + W[h + 'attn.c_attn.bias']
        q, k, v = qkv.split(C, dim=2)
        q, k, v = [t.view(B, T, NH, hs).transpose(1, 2) for t in (q, k, v)]
        att = (q @ k.transpose(-2, -1)) / math.sqrt(hs)
        att = att.masked_fill(~mask, float('-inf')).softmax(-1)
        y = (att @ v).transpose(1, 2).reshape(B, T, C)
        x = x + y @ W[h + 'attn.c_proj.weight'] + W[h + 'attn.c_proj.bias']
        y = ln(x, W[h + 'ln_2.weight'], W[h + 'ln_2.bias'])
        y = gelu(y @ W[h + 'mlp.c_fc.weight'] + W[h + 'mlp.c_fc.bias'])
        x = x + y @ W[h + 'mlp.c_proj.weight'] + W[h + 'mlp.c_proj.bias']
    x = ln(x, W['ln_f.weight'], W['ln_f.bias'])
    return x @ W['wte.weight'].T


def save(path, tensors, meta=None):
    header, blobs, off = {}, [], 0
    if meta:
        header['__metadata__'] = meta
    for k, t in tensors.items():
        t = t.detach().contiguous()
        if t.dtype in (torch.float64, torch.float32):
            t, dtype = t.float(), 'F32'
        else:
            t, dtype = t.int(), 'I32'
        b = t.numpy().tobytes()
        header[k] = {'dtype': dtype, 'shape': list(t.shape), 'data_offsets': [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    h = json.dumps(header).encode()
    h += b' ' * ((8 - len(h) % 8) % 8)
    with open(path, 'wb') as f:
        f.write(struct.pack('<Q', len(h)) + h + b''.join(blobs))


def ill_conditioned(W):
    """Entries whose gradient is nonzero but below the check's 1e-5 gradient tolerance: their AdamW
    direction is set by rounding, so float32 implementations cannot agree on `after.*` there."""
    n = 0
    for k, v in W.items():
        g = v.grad.clone()
        if k.endswith('attn.c_attn.bias'):
            g[C:2 * C] = 0  # the key bias: exactly zero in truth, excluded by the checker
        n += int(((g.abs() < 1e-5) & (g != 0)).sum())
    return n


# draw until the fixture is well conditioned (a fixed search, so the output is reproducible)
seed = a.seed
while True:
    torch.manual_seed(seed)
    W = make_weights()
    seq = torch.randint(0, V, (a.batch, a.seq + 1))
    inputs, targets = seq[:, :-1], seq[:, 1:]
    logits = forward(inputs)
    loss = torch.nn.functional.cross_entropy(logits.reshape(-1, V), targets.reshape(-1))
    loss.backward()
    if ill_conditioned(W) == 0:
        break
    seed += 1000

os.makedirs(a.out, exist_ok=True)
save(os.path.join(a.out, 'model.safetensors'), W, {'format': 'pt'})
json.dump({'model_type': 'gpt2', 'n_layer': L, 'n_head': NH, 'n_embd': C, 'n_positions': NP, 'n_ctx': NP,
           'vocab_size': V, 'layer_norm_epsilon': 1e-5, 'activation_function': 'gelu_new',
           'tie_word_embeddings': True}, open(os.path.join(a.out, 'config.json'), 'w'), indent=2)

E = {'inputs': inputs, 'targets': targets, 'logits': logits}
for k, v in W.items():
    E['grad.' + k] = v.grad.clone()

hp = {'lr': 0.01, 'beta1': 0.9, 'beta2': 0.95, 'eps': 1e-8, 'weight_decay': 0.1, 'steps': a.steps, 'grad_clip': None}
decay = [v for v in W.values() if v.dim() >= 2]
rest = [v for v in W.values() if v.dim() < 2]
opt = torch.optim.AdamW([{'params': decay, 'weight_decay': hp['weight_decay']}, {'params': rest, 'weight_decay': 0.0}],
                        lr=hp['lr'], betas=(hp['beta1'], hp['beta2']), eps=hp['eps'])
losses = []
for _ in range(a.steps):
    opt.zero_grad()
    l = torch.nn.functional.cross_entropy(forward(inputs).reshape(-1, V), targets.reshape(-1))
    losses.append(l.item())
    l.backward()
    opt.step()
for k, v in W.items():
    E['after.' + k] = v.detach().clone()

with torch.no_grad():
    ctx = inputs[0, :a.prompt].tolist()
    while len(ctx) < a.greedy:
        lg = forward(torch.tensor([ctx[-NP:]]))
        ctx.append(int(lg[0, -1].argmax()))
E['greedy'] = torch.tensor(ctx)
save(os.path.join(a.out, 'expected.safetensors'), E, {'format': 'pt'})
json.dump({'loss': loss.item(), 'seed': seed, 'adamw': hp, 'losses': losses, 'greedy_prompt_len': a.prompt, 'computed_in': 'float64',
           'gelu': 'tanh approximation', 'layer_norm_eps': 1e-5}, open(os.path.join(a.out, 'expected.json'), 'w'), indent=2)
print('wrote', a.out)
