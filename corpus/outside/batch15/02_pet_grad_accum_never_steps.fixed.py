# Report: https://github.com/timoschick/pet/issues/36
# "Missing optimizer step": the optimizer only steps when (step + 1) is a multiple of
# gradient_accumulation_steps. With a few-shot training set that has fewer batches than
# gradient_accumulation_steps, the condition is never true and the model never updates.
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset

torch.manual_seed(0)

CONFIG = {"train_examples": 32, "per_gpu_train_batch_size": 4, "gradient_accumulation_steps": 16,
          "num_train_epochs": 3, "learning_rate": 1e-3, "max_grad_norm": 1.0,
          "vocab_size": 100, "hidden": 32, "num_labels": 2}


class TinyMLM(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.embeddings = nn.Embedding(cfg["vocab_size"], cfg["hidden"])
        self.encoder = nn.Sequential(nn.Linear(cfg["hidden"], cfg["hidden"]), nn.GELU())
        self.lm_head = nn.Linear(cfg["hidden"], cfg["vocab_size"])

    def forward(self, input_ids):
        return self.lm_head(self.encoder(self.embeddings(input_ids)))


class PetWrapper:
    """Pattern-verbalizer wrapper: the label is predicted at the [MASK] position."""

    def __init__(self, cfg):
        self.cfg = cfg
        self.model = TinyMLM(cfg)
        self.verbalizer = torch.tensor([7, 11])  # token ids of "good"/"bad"
        self.mask_pos = 3

    def mlm_train_step(self, batch):
        input_ids, labels = batch
        logits = self.model(input_ids)[:, self.mask_pos]
        return F.cross_entropy(logits[:, self.verbalizer], labels)

    def train(self, dataset):
        cfg = self.cfg
        loader = DataLoader(dataset, batch_size=cfg["per_gpu_train_batch_size"], shuffle=True)
        optimizer = torch.optim.AdamW(self.model.parameters(), lr=cfg["learning_rate"])
        global_step = 0
        self.model.zero_grad()
        for _ in range(cfg["num_train_epochs"]):
            for step, batch in enumerate(loader):
                loss = self.mlm_train_step(batch)
                if cfg["gradient_accumulation_steps"] > 1:
                    loss = loss / cfg["gradient_accumulation_steps"]
                loss.backward()
                if (step + 1) % cfg["gradient_accumulation_steps"] == 0 or step + 1 == len(loader):
                    torch.nn.utils.clip_grad_norm_(self.model.parameters(), cfg["max_grad_norm"])
                    optimizer.step()
                    self.model.zero_grad()
                    global_step += 1
        return global_step


def make_dataset(cfg):
    ids = torch.randint(20, cfg["vocab_size"], (cfg["train_examples"], 8))
    labels = torch.randint(0, cfg["num_labels"], (cfg["train_examples"],))
    return TensorDataset(ids, labels)


wrapper = PetWrapper(CONFIG)
steps = wrapper.train(make_dataset(CONFIG))
print("optimizer steps:", steps)
