"""Multi-head classifier: a gate module picks one specialist head per sample."""
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(3)
IN, HID, HEADS, CLASSES = 20, 32, 3, 4


class Gate(nn.Module):
    def __init__(self):
        super().__init__()
        self.proj = nn.Linear(HID, HEADS)

    def forward(self, feats):
        gate_prob, choice = self.proj(feats).softmax(dim=-1).max(dim=-1)
        return choice, gate_prob


class Specialists(nn.Module):
    def __init__(self):
        super().__init__()
        self.trunk = nn.Sequential(nn.Linear(IN, HID), nn.ReLU())
        self.gate = Gate()
        self.heads = nn.ModuleList([nn.Linear(HID, CLASSES) for _ in range(HEADS)])

    def forward(self, x):
        feats = self.trunk(x)
        picks, gate_probs = self.gate(feats)
        logits = feats.new_zeros(x.size(0), CLASSES)
        for j in range(x.size(0)):
            logits[j] = self.heads[picks[j]](feats[j]) * gate_probs[j]
        return logits


def run_epoch(model, optimizer, batches):
    for x, y in batches:
        optimizer.zero_grad()
        F.cross_entropy(model(x), y).backward()
        optimizer.step()


data = [(torch.randn(12, IN), torch.randint(0, CLASSES, (12,))) for _ in range(6)]
model = Specialists()
optimizer = torch.optim.RMSprop(model.parameters(), lr=1e-3)
for epoch in range(3):
    run_epoch(model, optimizer, data)
