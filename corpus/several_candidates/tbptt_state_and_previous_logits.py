# Word-level LSTM language model trained with truncated BPTT; it also logs how much its predictions
# move from one chunk to the next.
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
VOCAB, BATCH, CHUNK = 300, 8, 20
corpus = torch.randint(0, VOCAB, (BATCH, 40 * CHUNK + 1))


class WordLM(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(VOCAB, 48)
        self.rnn = nn.LSTM(48, 96, batch_first=True)
        self.decoder = nn.Linear(96, VOCAB)

    def forward(self, tokens, state):
        out, state = self.rnn(self.embed(tokens), state)
        return self.decoder(out), state


model = WordLM()
optimizer = torch.optim.SGD(model.parameters(), lr=1.0)
state = None
prev_logits = torch.zeros(BATCH, VOCAB)

for start in range(0, corpus.size(1) - 1, CHUNK):
    inputs = corpus[:, start:start + CHUNK]
    targets = corpus[:, start + 1:start + CHUNK + 1]
    logits, state = model(inputs, state)
    drift = (logits[:, -1].softmax(-1) - prev_logits.softmax(-1)).abs().sum(-1).mean().item()
    prev_logits = logits[:, -1]
    loss = F.cross_entropy(logits.reshape(-1, VOCAB), targets.reshape(-1))
    optimizer.zero_grad()
    loss.backward()
    nn.utils.clip_grad_norm_(model.parameters(), 0.5)
    optimizer.step()
    print(f"chunk {start // CHUNK}: loss {loss.item():.3f} drift {drift:.3f}")
