"""A cross-attention pooling head over a memory, trained by a small Trainer class."""
import math

import torch
import torch.nn as tnn


class CrossAttentionPool(tnn.Module):
    def __init__(self, dim=24, n_classes=5):
        super().__init__()
        self.q_proj = tnn.Linear(dim, dim)
        self.k_proj = tnn.Linear(dim, dim)
        self.v_proj = tnn.Linear(dim, dim)
        self.classifier = tnn.Linear(dim, n_classes)

    def forward(self, query, memory):
        q = self.q_proj(query)                      # (B, 1, D)
        k = self.k_proj(memory)                     # (B, T, D)
        v = self.v_proj(memory)
        attn = torch.softmax(q @ k.transpose(1, 2) / math.sqrt(q.shape[-1]), dim=-1)
        return self.classifier((attn @ v).squeeze(1))


class Trainer:
    def __init__(self, model, lr=1e-3):
        self.model = model
        self.optimizer = torch.optim.AdamW(model.parameters(), lr=lr)
        self.criterion = tnn.CrossEntropyLoss()

    def train_step(self, query, memory, labels):
        self.optimizer.zero_grad()
        loss = self.criterion(self.model(query, memory), labels)
        loss.backward()
        self.optimizer.step()
        return loss.item()


def main():
    torch.manual_seed(1)
    memory = torch.randn(40, 7, 24)
    query = memory.mean(1, keepdim=True)
    labels = torch.randint(0, 5, (40,))
    trainer = Trainer(CrossAttentionPool())
    for epoch in range(4):
        for b in range(0, 40, 8):
            loss = trainer.train_step(query[b:b + 8], memory[b:b + 8], labels[b:b + 8])
        print(f"epoch {epoch}: loss {loss:.4f}")


if __name__ == "__main__":
    main()
