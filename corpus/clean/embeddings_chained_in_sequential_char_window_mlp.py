# Next-character model in the style of a neural probabilistic language model: the previous
# eight characters are looked up in one embedding table, flattened, and passed through an MLP
# that predicts the next character. The embedding and the MLP are one nn.Sequential, which is
# the right container here: the table takes the ids and the layers after it take its vectors.
import torch
from torch import nn

ALPHABET, CONTEXT, DIM = 27, 8, 12

torch.manual_seed(0)
# A synthetic "language": words built from a few syllables, separated by spaces (id 0).
syllables = [[3, 1], [20, 15, 14], [13, 1], [11, 9], [19, 5, 14], [18, 15]]
stream = []
for _ in range(900):
    for _ in range(int(torch.randint(1, 4, ()))):
        stream += syllables[int(torch.randint(0, len(syllables), ()))]
    stream.append(0)
stream = torch.tensor(stream)
windows = stream.unfold(0, CONTEXT + 1, 1)
contexts, targets = windows[:, :-1], windows[:, -1]

model = nn.Sequential(
    nn.Embedding(ALPHABET, DIM),
    nn.Flatten(),
    nn.Linear(CONTEXT * DIM, 96),
    nn.Tanh(),
    nn.Linear(96, ALPHABET),
)
optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
loss_fn = nn.CrossEntropyLoss()

for epoch in range(3):
    order = torch.randperm(len(contexts))
    for start in range(0, len(contexts), 256):
        batch = order[start:start + 256]
        loss = loss_fn(model(contexts[batch]), targets[batch])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    with torch.no_grad():
        full = loss_fn(model(contexts), targets)
    print(f"epoch {epoch}: cross-entropy {full.item():.3f} nats, perplexity {full.exp().item():.2f}")
