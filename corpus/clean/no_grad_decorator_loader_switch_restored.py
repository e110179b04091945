"""Fine-tuning a pretrained tagger whose loader warms the model up with autograd off and then puts
the previous grad mode back: the global switch is scoped by hand, and training has its graph."""
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(21)
VOCAB, TAGS = 80, 5


class Tagger(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(VOCAB, 24)
        self.rnn = nn.LSTM(24, 24, batch_first=True)
        self.out = nn.Linear(24, TAGS)

    def forward(self, ids):
        h, _ = self.rnn(self.embed(ids))
        return self.out(h)


def load_tagger():
    previous = torch.is_grad_enabled()
    torch.set_grad_enabled(False)
    model = Tagger()
    model.load_state_dict({k: v + 0.01 * torch.randn_like(v) for k, v in model.state_dict().items()})
    model(torch.zeros(1, 4, dtype=torch.long))  # warm-up
    torch.set_grad_enabled(previous)
    return model


model = load_tagger()
optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
ids = torch.randint(0, VOCAB, (48, 9))
tags = ids % TAGS
for epoch in range(3):
    for i in range(0, 48, 16):
        logits = model(ids[i:i + 16])
        loss = F.cross_entropy(logits.reshape(-1, TAGS), tags[i:i + 16].reshape(-1))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    print(f"epoch {epoch}: {loss.item():.3f}")
