# A siamese matcher for duplicate questions: two encodings are compared and a head with one
# output says "same or not". The head's output goes through `.softmax(dim=-1)` before BCE, and
# over a single value that is 1.0 for every pair: the encoder and the head get zero gradients.
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)


class Matcher(nn.Module):
    def __init__(self, dim=20, hidden=32):
        super().__init__()
        self.encoder = nn.Sequential(nn.Linear(dim, hidden), nn.ReLU(), nn.Linear(hidden, hidden))
        self.head = nn.Linear(2 * hidden, 1)

    def forward(self, a, b):
        ea, eb = self.encoder(a), self.encoder(b)
        pair = torch.cat([torch.abs(ea - eb), ea * eb], dim=-1)
        return self.head(pair).softmax(dim=-1).squeeze(-1)


class PairTrainer:
    def __init__(self, model, lr=5e-3):
        self.model = model
        self.optimizer = torch.optim.Adam(model.parameters(), lr=lr)

    def step(self, a, b, same):
        p_same = self.model(a, b)
        loss = F.binary_cross_entropy(p_same, same)
        self.optimizer.zero_grad()
        loss.backward()
        self.optimizer.step()
        return loss.item()


questions = torch.randn(400, 20)
paraphrases = questions + 0.1 * torch.randn(400, 20)
others = torch.randn(400, 20)
trainer = PairTrainer(Matcher())
for epoch in range(3):
    for i in range(0, 400, 40):
        a = torch.cat([questions[i:i + 20], questions[i + 20:i + 40]])
        b = torch.cat([paraphrases[i:i + 20], others[i + 20:i + 40]])
        same = torch.cat([torch.ones(20), torch.zeros(20)])
        trainer.step(a, b, same)
