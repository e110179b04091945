# Report: https://github.com/zhuhanqing/APOLLO/issues/4
# Training a model whose lm_head is tied to the input embeddings, the optimizer set-up builds one
# group for the linear weights and one for the embeddings; it fails with
# "ValueError: some parameters appear in more than one parameter group".
import numpy as np
import torch
import torch.nn as nn

CFG = {"vocab": 50, "dim": 16, "seq": 12, "batch": 8, "steps": 20, "lr": 3e-3,
       "weight_decay": 0.1, "embed_lr_scale": 0.5, "seed": 0}


class TinyLM(nn.Module):
    def __init__(self, vocab, dim):
        super().__init__()
        self.embed_tokens = nn.Embedding(vocab, dim)
        self.mixer = nn.GRU(dim, dim, batch_first=True)
        self.norm = nn.LayerNorm(dim)
        self.lm_head = nn.Linear(dim, vocab, bias=False)
        self.lm_head.weight = self.embed_tokens.weight  # tie_word_embeddings

    def forward(self, ids):
        h, _ = self.mixer(self.embed_tokens(ids))
        return self.lm_head(self.norm(h))


def build_param_groups(model, cfg):
    matrices, embeds, no_decay = [], [], []
    for module in model.modules():
        if isinstance(module, nn.Linear) and module.weight is not model.embed_tokens.weight:
            matrices.append(module.weight)
        elif isinstance(module, nn.Embedding):
            embeds.append(module.weight)
        elif isinstance(module, nn.LayerNorm):
            no_decay += [module.weight, module.bias]
        elif isinstance(module, nn.GRU):
            matrices += list(module.parameters())
    return [
        {"params": matrices, "weight_decay": cfg["weight_decay"]},
        {"params": embeds, "weight_decay": 0.0, "lr": cfg["lr"] * cfg["embed_lr_scale"]},
        {"params": no_decay, "weight_decay": 0.0},
    ]


def batches(cfg):
    rng = np.random.RandomState(cfg["seed"])
    for _ in range(cfg["steps"]):
        ids = torch.tensor(rng.randint(0, cfg["vocab"], size=(cfg["batch"], cfg["seq"] + 1)))
        yield ids[:, :-1], ids[:, 1:]


def main(cfg):
    torch.manual_seed(cfg["seed"])
    model = TinyLM(cfg["vocab"], cfg["dim"])
    opt = torch.optim.AdamW(build_param_groups(model, cfg), lr=cfg["lr"])
    crit = nn.CrossEntropyLoss()
    for step, (inp, tgt) in enumerate(batches(cfg)):
        logits = model(inp)
        loss = crit(logits.reshape(-1, cfg["vocab"]), tgt.reshape(-1))
        opt.zero_grad()
        loss.backward()
        opt.step()
        if step % 5 == 0:
            print(f"step {step} loss {loss.item():.4f}")
    return model


if __name__ == "__main__":
    model = main(CFG)
