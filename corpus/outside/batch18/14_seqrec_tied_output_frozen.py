# Session-based next-item recommender (GRU4Rec-style). The input item embedding is initialised
# from pretrained item2vec vectors and frozen, and the output scoring layer is meant to be
# fine-tuned on the click sessions. Input and output item vectors are weight-tied, as in the
# usual GRU4Rec/SASRec setup.
#
# Reproduces: https://github.com/huggingface/transformers/issues/11903
# ("the lm head is frozen together when model.transformer.wte is frozen")
#
# tie_weights makes self.out.weight the same Parameter as self.item_emb.weight. load_item_vectors()
# then freezes the input table with requires_grad_(False), and that freezes the output scoring
# weights too. The optimizer is built from the parameters that still require grad: the GRU, the
# projection and out.bias. The item scoring matrix the run is meant to adapt never changes. The
# loss still falls, because the GRU learns to aim at the fixed item vectors.
import argparse
import time

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset

CONFIG = {
    "n_items": 400, "dim": 32, "session_len": 12, "n_sessions": 1536, "batch_size": 64,
    "lr": 3e-3, "epochs": 4, "tie_weights": True, "freeze_item_emb": True, "topk": 20,
}
PAD = 0


class NextItemGRU(nn.Module):
    def __init__(self, n_items, dim, tie_weights=True):
        super().__init__()
        self.item_emb = nn.Embedding(n_items, dim, padding_idx=PAD)
        self.gru = nn.GRU(dim, dim, batch_first=True)
        self.proj = nn.Linear(dim, dim)
        self.out = nn.Linear(dim, n_items)
        if tie_weights:
            self.out.weight = self.item_emb.weight     # share input/output item vectors

    def load_item_vectors(self, vectors, freeze=True):
        with torch.no_grad():
            self.item_emb.weight.copy_(vectors)
        self.item_emb.weight.requires_grad_(not freeze)   # keep the item2vec input vectors fixed

    def forward(self, sessions):
        h, _ = self.gru(self.item_emb(sessions))
        return self.out(torch.tanh(self.proj(h)))


def make_sessions(cfg, item_vecs, seed=0):
    """Sessions drift through item space: the next item is close to the previous one."""
    g = torch.Generator().manual_seed(seed)
    n, L = cfg["n_sessions"], cfg["session_len"] + 1
    sessions = torch.empty(n, L, dtype=torch.long)
    sessions[:, 0] = torch.randint(1, cfg["n_items"], (n,), generator=g)
    sim = item_vecs @ item_vecs.T
    sim[:, PAD] = -1e9
    for t in range(1, L):
        logits = sim[sessions[:, t - 1]] * 10.0
        sessions[:, t] = torch.multinomial(F.softmax(logits, -1), 1, generator=g).squeeze(1)
    return TensorDataset(sessions[:, :-1], sessions[:, 1:])


def recall_at_k(logits, target, k):
    topk = logits.topk(k, dim=-1).indices
    return (topk == target.unsqueeze(-1)).any(-1).float().mean().item()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=CONFIG["epochs"])
    parser.add_argument("--lr", type=float, default=CONFIG["lr"])
    args = parser.parse_args()
    torch.manual_seed(0)

    item_vecs = F.normalize(torch.randn(CONFIG["n_items"], CONFIG["dim"]), dim=-1)   # "item2vec" export
    data = make_sessions(CONFIG, item_vecs)
    train_set, val_set = torch.utils.data.random_split(data, [1280, 256], generator=torch.Generator().manual_seed(1))
    model = NextItemGRU(CONFIG["n_items"], CONFIG["dim"], CONFIG["tie_weights"])
    model.load_item_vectors(item_vecs + 0.3 * torch.randn_like(item_vecs), freeze=CONFIG["freeze_item_emb"])
    params = [p for p in model.parameters() if p.requires_grad]
    print(f"trainable: {[n for n, p in model.named_parameters() if p.requires_grad]}")
    optimizer = torch.optim.Adam(params, lr=args.lr)
    train_loader = DataLoader(train_set, batch_size=CONFIG["batch_size"], shuffle=True)
    val_loader = DataLoader(val_set, batch_size=128)

    for epoch in range(args.epochs):
        model.train()
        t0, total = time.time(), 0.0
        for inputs, targets in train_loader:
            logits = model(inputs)
            loss = F.cross_entropy(logits.reshape(-1, CONFIG["n_items"]), targets.reshape(-1), ignore_index=PAD)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += loss.item()
        model.eval()
        with torch.no_grad():
            rec = [recall_at_k(model(x)[:, -1], y[:, -1], CONFIG["topk"]) for x, y in val_loader]
        print(f"epoch {epoch}: loss {total / len(train_loader):.4f} "
              f"recall@{CONFIG['topk']} {sum(rec) / len(rec):.3f} ({time.time() - t0:.1f}s)")
    return model


if __name__ == "__main__":
    model = main()
