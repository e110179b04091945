# LoRA supervised fine-tuning of a small causal LM with a hand-rolled "SFT runner".
#
# Reproduces: https://github.com/huggingface/trl/issues/3926
# ("SFTTrainer freezes LoRA adapter when using PEFT model as argument")
#
# What goes wrong (in my words): the user injects the LoRA adapters first and hands the
# adapted model to the runner. Because the config says the base model is "quantized", the
# runner calls prepare_model_for_kbit_training() on whatever it gets. That helper freezes
# every parameter (meant for the base weights only), so the freshly added lora_A / lora_B are
# frozen as well. Training does not crash: the helper also forces the embedding output to
# require grad, so loss.backward() runs, but no parameter gets a gradient, the optimizer's
# groups are empty and the adapters never change (lora_B stays all zeros).
import argparse
import math

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset

CONFIG = {
    "vocab": 96, "d_model": 64, "n_layers": 2, "n_heads": 4, "seq_len": 32,
    "lora_r": 8, "lora_alpha": 16, "lora_targets": ("q_proj", "v_proj"),
    "load_in_8bit": True,          # base checkpoint is served quantized
    "gradient_checkpointing": True,
    "lr": 2e-3, "weight_decay": 0.01,
}


class Block(nn.Module):
    def __init__(self, d, h):
        super().__init__()
        self.h = h
        self.ln1, self.ln2 = nn.LayerNorm(d), nn.LayerNorm(d)
        self.q_proj, self.k_proj = nn.Linear(d, d), nn.Linear(d, d)
        self.v_proj, self.o_proj = nn.Linear(d, d), nn.Linear(d, d)
        self.mlp = nn.Sequential(nn.Linear(d, 4 * d), nn.GELU(), nn.Linear(4 * d, d))

    def forward(self, x):
        b, t, d = x.shape
        y = self.ln1(x)
        q, k, v = (p(y).view(b, t, self.h, d // self.h).transpose(1, 2) for p in (self.q_proj, self.k_proj, self.v_proj))
        a = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        x = x + self.o_proj(a.transpose(1, 2).reshape(b, t, d))
        return x + self.mlp(self.ln2(x))


class TinyCausalLM(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.embed_tokens = nn.Embedding(cfg["vocab"], cfg["d_model"])
        self.pos = nn.Embedding(cfg["seq_len"], cfg["d_model"])
        self.layers = nn.ModuleList(Block(cfg["d_model"], cfg["n_heads"]) for _ in range(cfg["n_layers"]))
        self.norm = nn.LayerNorm(cfg["d_model"])
        self.lm_head = nn.Linear(cfg["d_model"], cfg["vocab"], bias=False)

    def get_input_embeddings(self):
        return self.embed_tokens

    def enable_input_require_grads(self):
        def make_inputs_require_grad(module, inputs, output):
            output.requires_grad_(True)
        self.embed_tokens.register_forward_hook(make_inputs_require_grad)

    def forward(self, ids):
        h = self.embed_tokens(ids) + self.pos(torch.arange(ids.shape[1], device=ids.device))
        for layer in self.layers:
            h = layer(h)
        return self.lm_head(self.norm(h))


class LoRALinear(nn.Module):
    def __init__(self, base, r, alpha):
        super().__init__()
        self.base = base
        self.lora_A = nn.Parameter(torch.empty(r, base.in_features))
        self.lora_B = nn.Parameter(torch.zeros(base.out_features, r))
        nn.init.kaiming_uniform_(self.lora_A, a=math.sqrt(5))
        self.scaling = alpha / r

    def forward(self, x):
        return self.base(x) + (x @ self.lora_A.t() @ self.lora_B.t()) * self.scaling


def inject_lora(model, cfg):
    for p in model.parameters():
        p.requires_grad_(False)
    for block in model.layers:
        for name in cfg["lora_targets"]:
            setattr(block, name, LoRALinear(getattr(block, name), cfg["lora_r"], cfg["lora_alpha"]))
    model.is_lora_model = True
    return model


def prepare_model_for_kbit_training(model, use_gradient_checkpointing=True):
    # freeze the (quantized) base model, upcast norms, keep inputs differentiable
    for _, param in model.named_parameters():
        param.requires_grad = False
    for param in model.parameters():
        if param.ndim == 1 and param.dtype in (torch.float16, torch.bfloat16):
            param.data = param.data.float()
    if use_gradient_checkpointing:
        model.enable_input_require_grads()
    return model


def trainable_summary(model):
    n = sum(p.numel() for p in model.parameters() if p.requires_grad)
    total = sum(p.numel() for p in model.parameters())
    return f"trainable params: {n} || all params: {total} || trainable%: {100 * n / total:.3f}"


class SFTRunner:
    def __init__(self, model, cfg, loader):
        if cfg["load_in_8bit"]:
            model = prepare_model_for_kbit_training(model, cfg["gradient_checkpointing"])
        self.model, self.cfg, self.loader = model, cfg, loader
        decay = [p for n, p in model.named_parameters() if p.requires_grad and p.ndim >= 2]
        no_decay = [p for n, p in model.named_parameters() if p.requires_grad and p.ndim < 2]
        self.optimizer = torch.optim.AdamW([
            {"params": decay, "weight_decay": cfg["weight_decay"]},
            {"params": no_decay, "weight_decay": 0.0},
        ], lr=cfg["lr"])

    def train(self, epochs):
        for epoch in range(epochs):
            total = 0.0
            for ids, labels in self.loader:
                logits = self.model(ids)
                loss = F.cross_entropy(logits.view(-1, logits.shape[-1]), labels.view(-1), ignore_index=-100)
                self.optimizer.zero_grad()
                loss.backward()
                grad_norm = torch.nn.utils.clip_grad_norm_(self.model.parameters(), 1.0)
                self.optimizer.step()
                total += loss.item()
            print(f"epoch {epoch}  loss {total / len(self.loader):.4f}  grad_norm {float(grad_norm):.4f}")


def make_sft_data(n, cfg, seed):
    g = torch.Generator().manual_seed(seed)
    prompt_len = cfg["seq_len"] // 2
    prompts = torch.randint(3, cfg["vocab"], (n, prompt_len), generator=g)
    answers = (prompts.flip(1) + 1) % cfg["vocab"]          # "reverse and shift" task
    ids = torch.cat([prompts, answers], dim=1)
    labels = ids.roll(-1, dims=1)
    labels[:, : prompt_len - 1] = -100                       # only train on the answer
    labels[:, -1] = -100
    return TensorDataset(ids, labels)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=6)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)

    base = TinyCausalLM(CONFIG)                      # stands in for from_pretrained(...)
    model = inject_lora(base, CONFIG)
    print(trainable_summary(model))
    loader = DataLoader(make_sft_data(512, CONFIG, seed=1), batch_size=args.batch_size, shuffle=True)
    runner = SFTRunner(model, CONFIG, loader)
    runner.train(args.epochs)
    b_norm = sum(m.lora_B.norm().item() for m in model.modules() if isinstance(m, LoRALinear))
    print(f"sum of lora_B norms after training: {b_norm:.4f}")


if __name__ == "__main__":
    main()
