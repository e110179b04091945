"""A small LSTM language model with tied input and output embeddings. The tables go to SparseAdam
by their parameter name, the rest to Adam; the tie makes the table's gradient dense."""
import torch
import torch.nn as nn
import torch.nn.functional as F

VOCAB, DIM = 120, 32


class TiedLM(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(VOCAB, DIM, sparse=True)
        self.lstm = nn.LSTM(DIM, DIM, batch_first=True)
        self.decoder = nn.Linear(DIM, VOCAB)
        self.decoder.weight = self.embed.weight  # weight tying (Press & Wolf)

    def forward(self, tokens):
        out, _ = self.lstm(self.embed(tokens))
        return self.decoder(out)


torch.manual_seed(0)
model = TiedLM()
table = [p for n, p in model.named_parameters() if n.startswith("embed")]
rest = [p for n, p in model.named_parameters() if not n.startswith("embed")]
sparse_opt = torch.optim.SparseAdam(table, lr=3e-3)
dense_opt = torch.optim.Adam(rest, lr=3e-3)
stream = torch.randint(0, VOCAB, (64, 13))
for epoch in range(3):
    for i in range(0, 64, 16):
        batch = stream[i:i + 16]
        logits = model(batch[:, :-1])
        loss = F.cross_entropy(logits.reshape(-1, VOCAB), batch[:, 1:].reshape(-1))
        sparse_opt.zero_grad()
        dense_opt.zero_grad()
        loss.backward()
        sparse_opt.step()
        dense_opt.step()
    print(f"epoch {epoch}: {loss.item():.4f}")
