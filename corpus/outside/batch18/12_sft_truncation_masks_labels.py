# Supervised fine-tuning (completion-only loss) of a small causal LM on prompt/completion pairs.
# Each prompt starts with a long fixed system preamble.
#
# Reproduces: https://github.com/huggingface/trl/issues/6668
#
# The prompt tokens get the label -100 so only the completion is trained. The collator then
# truncates input_ids and labels on the right to max_length. The preamble plus question is
# already longer than max_length (48 tokens), so truncation removes every completion token and
# every label in every batch is -100. As in TRL, the masked loss is written so that a fully masked
# batch returns a graph-connected 0.0 instead of NaN. backward() runs, every gradient is exactly
# zero, and AdamW (weight_decay 0.0, the HF default) never moves a weight. The log shows loss 0.0000
# and the run "finishes" without a warning.
import argparse
import time

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, Dataset

CONFIG = {
    "vocab": 120, "d_model": 64, "n_layer": 2, "n_head": 4, "max_length": 48,
    "system_len": 40, "batch_size": 16, "lr": 2e-4, "weight_decay": 0.0,
    "epochs": 4, "n_examples": 256, "ignore_index": -100,
}
BOS, EOS, SEP = 1, 2, 3


class PromptCompletionData(Dataset):
    def __init__(self, n, cfg, seed=0):
        g = torch.Generator().manual_seed(seed)
        system = torch.randint(10, cfg["vocab"], (cfg["system_len"],), generator=g).tolist()
        self.rows = []
        for _ in range(n):
            q = torch.randint(10, cfg["vocab"], (int(torch.randint(6, 14, (1,), generator=g)),), generator=g).tolist()
            a = [(t * 7 + 3) % (cfg["vocab"] - 10) + 10 for t in q[:5]]      # answer depends on the question
            self.rows.append({"prompt": [BOS] + system + [SEP] + q + [SEP], "completion": a + [EOS]})

    def __len__(self):
        return len(self.rows)

    def __getitem__(self, i):
        return self.rows[i]


class SFTCollator:
    def __init__(self, max_length, ignore_index):
        self.max_length = max_length
        self.ignore_index = ignore_index

    def __call__(self, rows):
        ids, labels = [], []
        for r in rows:
            seq = r["prompt"] + r["completion"]
            lab = [self.ignore_index] * len(r["prompt"]) + r["completion"]
            ids.append(seq[: self.max_length])
            labels.append(lab[: self.max_length])
        width = max(len(s) for s in ids)
        input_ids = torch.zeros(len(ids), width, dtype=torch.long)
        label_t = torch.full((len(ids), width), self.ignore_index, dtype=torch.long)
        for i, (s, l) in enumerate(zip(ids, labels)):
            input_ids[i, : len(s)] = torch.tensor(s)
            label_t[i, : len(l)] = torch.tensor(l)
        return input_ids, label_t


class CausalLM(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.embed = nn.Embedding(cfg["vocab"], cfg["d_model"])
        self.pos = nn.Embedding(128, cfg["d_model"])
        layer = nn.TransformerEncoderLayer(cfg["d_model"], cfg["n_head"], 4 * cfg["d_model"], dropout=0.0, batch_first=True)
        self.blocks = nn.TransformerEncoder(layer, cfg["n_layer"])
        self.lm_head = nn.Linear(cfg["d_model"], cfg["vocab"])

    def forward(self, ids):
        t = ids.shape[1]
        causal = nn.Transformer.generate_square_subsequent_mask(t)
        h = self.embed(ids) + self.pos(torch.arange(t))
        return self.lm_head(self.blocks(h, mask=causal, is_causal=True))


def masked_lm_loss(logits, labels, ignore_index):
    logits, labels = logits[:, :-1], labels[:, 1:]
    mask = labels != ignore_index
    per_tok = F.cross_entropy(logits.reshape(-1, logits.size(-1)), labels.clamp(min=0).reshape(-1), reduction="none")
    # graph-connected zero on a fully masked batch (keeps DDP/FSDP ranks in step)
    return (per_tok * mask.reshape(-1)).sum() / mask.sum().clamp(min=1)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--max-length", type=int, default=CONFIG["max_length"])
    parser.add_argument("--epochs", type=int, default=CONFIG["epochs"])
    args = parser.parse_args()
    torch.manual_seed(0)

    model = CausalLM(CONFIG)
    optimizer = torch.optim.AdamW(model.parameters(), lr=CONFIG["lr"], weight_decay=CONFIG["weight_decay"])
    loader = DataLoader(PromptCompletionData(CONFIG["n_examples"], CONFIG), batch_size=CONFIG["batch_size"],
                        shuffle=True, collate_fn=SFTCollator(args.max_length, CONFIG["ignore_index"]))
    step = 0
    for epoch in range(args.epochs):
        t0, total, tokens = time.time(), 0.0, 0
        for input_ids, labels in loader:
            loss = masked_lm_loss(model(input_ids), labels, CONFIG["ignore_index"])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += loss.item()
            tokens += input_ids.numel()
            step += 1
            if step % 8 == 0:
                print(f"step {step}: loss {loss.item():.4f}")
        print(f"epoch {epoch}: mean loss {total / len(loader):.4f} num_tokens {tokens} ({time.time() - t0:.1f}s)")
    return model


if __name__ == "__main__":
    model = main()
