"""Continue training a scratchlm model in plain PyTorch with DistributedDataParallel.

    scratchlm export --run runs/x --hf hf/x
    torchrun --nproc_per_node 2 examples/torch_ddp_continue.py \
        --hf hf/x --data data/x --out hf/x-more --steps 50

(Debian 12's PyTorch 1.13 on Python 3.11: `python3 -m torch.distributed.run --redirects 1:1
--tee 1:1 --nproc_per_node 2 ...`, since that launcher cannot parse its own default --redirects 0.)

Needs only PyTorch (no transformers, no safetensors package): the Hugging Face GPT-2 folder
(config.json + model.safetensors) and scratchlm's token files (32-byte header, then uint16 or
uint32 ids) are read here. Each rank trains on its own seeded batches (gloo backend, CPU);
DDP averages the gradients. Rank 0 prints JSON lines with the hand-over loss (the model as it
came, on the fixed first batch of val.bin) and the loss on that batch after training, and writes
a Hugging Face GPT-2 folder back, which scratchlm loads (--init-from, sample, eval, inspect).
"""
import argparse
import datetime
import json
import math
import os
import shutil
import struct
import sys

import torch
import torch.distributed as dist
import torch.nn as nn
import torch.nn.functional as F

DTYPES = {"F32": torch.float32, "F64": torch.float64, "I32": torch.int32}


def read_safetensors(path):
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8 : 8 + n])
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        a, b = info["data_offsets"]
        t = torch.frombuffer(bytearray(data[8 + n + a : 8 + n + b]), dtype=DTYPES[info["dtype"]])
        out[name] = t.reshape(info["shape"]).clone()
    return out


def write_safetensors(path, tensors):
    header, blobs, off = {"__metadata__": {"format": "pt"}}, [], 0
    for name, t in tensors.items():
        b = t.detach().to(torch.float32).contiguous().numpy().tobytes()
        header[name] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    h = json.dumps(header).encode()
    h += b" " * ((8 - (len(h) + 8) % 8) % 8)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))
    os.replace(tmp, path)


def read_tokens(path):
    with open(path, "rb") as f:
        data = f.read()
    assert data[:8] == b"SLMTOKEN", f"{path}: not a scratchlm token file"
    bpi, vocab = struct.unpack("<II", data[12:20])
    (count,) = struct.unpack("<Q", data[24:32])
    dtype = torch.int16 if bpi == 2 else torch.int32
    ids = torch.frombuffer(bytearray(data[32 : 32 + count * bpi]), dtype=dtype).to(torch.int64)
    if bpi == 2:
        ids = ids & 0xFFFF  # uint16 stored
    return ids, vocab


class Block(nn.Module):
    """GPT-2's block with Hugging Face's names; Conv1D weights are (in, out)."""

    def __init__(self, C, nh, eps):
        super().__init__()
        self.nh = nh
        self.ln_1 = nn.LayerNorm(C, eps=eps)
        self.ln_2 = nn.LayerNorm(C, eps=eps)
        self.c_attn_w = nn.Parameter(torch.zeros(C, 3 * C))
        self.c_attn_b = nn.Parameter(torch.zeros(3 * C))
        self.c_proj_w = nn.Parameter(torch.zeros(C, C))
        self.c_proj_b = nn.Parameter(torch.zeros(C))
        self.fc_w = nn.Parameter(torch.zeros(C, 4 * C))
        self.fc_b = nn.Parameter(torch.zeros(4 * C))
        self.mlp_proj_w = nn.Parameter(torch.zeros(4 * C, C))
        self.mlp_proj_b = nn.Parameter(torch.zeros(C))

    def forward(self, x):
        B, T, C = x.shape
        q, k, v = (self.ln_1(x) @ self.c_attn_w + self.c_attn_b).split(C, dim=2)
        heads = lambda t: t.view(B, T, self.nh, C // self.nh).transpose(1, 2)  # noqa: E731
        q, k, v = heads(q), heads(k), heads(v)
        att = (q @ k.transpose(-2, -1)) / math.sqrt(C // self.nh)  # written out: PyTorch 1.13 (Debian) has no SDPA
        att = att.masked_fill(torch.ones(T, T, dtype=torch.bool).triu(1), float("-inf")).softmax(dim=-1)
        y = att @ v
        x = x + y.transpose(1, 2).contiguous().view(B, T, C) @ self.c_proj_w + self.c_proj_b
        h = F.gelu(self.ln_2(x) @ self.fc_w + self.fc_b, approximate="tanh")
        return x + h @ self.mlp_proj_w + self.mlp_proj_b


class GPT(nn.Module):
    NAMES = {
        "ln_1.weight": "ln_1.weight", "ln_1.bias": "ln_1.bias", "ln_2.weight": "ln_2.weight", "ln_2.bias": "ln_2.bias",
        "attn.c_attn.weight": "c_attn_w", "attn.c_attn.bias": "c_attn_b", "attn.c_proj.weight": "c_proj_w", "attn.c_proj.bias": "c_proj_b",
        "mlp.c_fc.weight": "fc_w", "mlp.c_fc.bias": "fc_b", "mlp.c_proj.weight": "mlp_proj_w", "mlp.c_proj.bias": "mlp_proj_b",
    }

    def __init__(self, cfg):
        super().__init__()
        C, eps = cfg["n_embd"], cfg.get("layer_norm_epsilon", 1e-5)
        self.wte = nn.Embedding(cfg["vocab_size"], C)
        self.wpe = nn.Embedding(cfg["n_positions"], C)
        self.h = nn.ModuleList(Block(C, cfg["n_head"], eps) for _ in range(cfg["n_layer"]))
        self.ln_f = nn.LayerNorm(C, eps=eps)

    def forward(self, idx, targets):
        x = self.wte(idx) + self.wpe(torch.arange(idx.shape[1]))
        for b in self.h:
            x = b(x)
        logits = self.ln_f(x) @ self.wte.weight.T  # tied LM head
        return F.cross_entropy(logits.view(-1, logits.shape[-1]), targets.reshape(-1))

    def hf_state(self):
        out = {"wte.weight": self.wte.weight, "wpe.weight": self.wpe.weight, "ln_f.weight": self.ln_f.weight, "ln_f.bias": self.ln_f.bias}
        for i, b in enumerate(self.h):
            for hf, ours in self.NAMES.items():
                out[f"h.{i}.{hf}"] = b.get_parameter(ours)
        return out

    def load_hf(self, tensors):
        strip = lambda k: k[len("transformer."):] if k.startswith("transformer.") else k  # noqa: E731
        tensors = {strip(k): v for k, v in tensors.items()}
        with torch.no_grad():
            for name, p in self.hf_state().items():
                p.copy_(tensors[name].to(torch.float32).reshape(p.shape))


def batch(ids, B, T, gen):
    ix = torch.randint(len(ids) - T - 1, (B,), generator=gen)
    x = torch.stack([ids[i : i + T] for i in ix])
    y = torch.stack([ids[i + 1 : i + 1 + T] for i in ix])
    return x, y


def first_windows(ids, B, T):
    """The fixed hand-over batch: windows starting at 0, T, 2T, ... of val.bin (scratchlm's test uses the same)."""
    x = torch.stack([ids[i * T : i * T + T] for i in range(B)])
    y = torch.stack([ids[i * T + 1 : i * T + 1 + T] for i in range(B)])
    return x, y


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--hf", required=True, help="Hugging Face GPT-2 folder (scratchlm export --hf)")
    ap.add_argument("--data", required=True, help="scratchlm data folder (train.bin, val.bin)")
    ap.add_argument("--out", required=True, help="where to write the trained Hugging Face folder")
    ap.add_argument("--steps", type=int, default=50)
    ap.add_argument("--batch-size", type=int, default=8, help="per rank")
    ap.add_argument("--block-size", type=int, default=0, help="default: the model's context")
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--seed", type=int, default=1337)
    args = ap.parse_args()

    # a collective that waits longer than this fails instead of hanging the launcher forever
    dist.init_process_group("gloo", timeout=datetime.timedelta(minutes=5))
    rank, world = dist.get_rank(), dist.get_world_size()
    torch.manual_seed(args.seed)
    torch.set_num_threads(1)
    with open(os.path.join(args.hf, "config.json")) as f:
        cfg = json.load(f)
    model = GPT(cfg)
    model.load_hf(read_safetensors(os.path.join(args.hf, "model.safetensors")))
    train, vocab = read_tokens(os.path.join(args.data, "train.bin"))
    val, _ = read_tokens(os.path.join(args.data, "val.bin"))
    assert vocab == cfg["vocab_size"], f"the data has {vocab} ids, the model {cfg['vocab_size']}"
    T = args.block_size or cfg["n_positions"]
    hx, hy = first_windows(val, args.batch_size, T)
    model.eval()
    with torch.no_grad():
        handover = model(hx, hy).item()
    if rank == 0:
        print(json.dumps({"handover_loss": handover, "world_size": world, "backend": "gloo"}), flush=True)
    ddp = nn.parallel.DistributedDataParallel(model)
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, betas=(0.9, 0.95), weight_decay=0.0)
    gen = torch.Generator().manual_seed(args.seed + rank)  # each rank its own batches
    model.train()
    for step in range(args.steps):
        x, y = batch(train, args.batch_size, T, gen)
        loss = ddp(x, y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        if rank == 0 and (step % 10 == 0 or step == args.steps - 1):
            print(json.dumps({"step": step, "train_loss": loss.item()}), flush=True)
    model.eval()
    with torch.no_grad():
        after = model(hx, hy).item()
    # DDP keeps the replicas equal (each rank saw other batches; the gradients were averaged)
    each = [torch.zeros(1, dtype=torch.float64) for _ in range(world)]
    dist.all_gather(each, torch.tensor([after], dtype=torch.float64))
    if rank == 0:
        print(json.dumps({"rank_losses": [t.item() for t in each]}), flush=True)
        os.makedirs(args.out, exist_ok=True)
        write_safetensors(os.path.join(args.out, "model.safetensors"), {k: v for k, v in model.hf_state().items()})
        with open(os.path.join(args.out, "config.json"), "w") as f:
            json.dump(cfg, f, indent=2)
        tok = os.path.join(args.hf, "tokenizer.json")
        if os.path.exists(tok):
            shutil.copy(tok, os.path.join(args.out, "tokenizer.json"))
        print(json.dumps({"final_loss": after, "steps": args.steps, "out": args.out}), flush=True)
    dist.barrier()  # every rank is past its last collective, and rank 0 has written the folder
    # destroy_process_group() is known to hang now and then at exit (pytorch/pytorch#75097; seen
    # here with Debian's torch 1.13 under load: all output printed, the launcher never returned).
    # After the barrier nothing is left to send, so each rank flushes and leaves at once.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


if __name__ == "__main__":
    main()
