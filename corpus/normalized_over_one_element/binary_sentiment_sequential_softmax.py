# A bag-of-words sentiment classifier with a single output unit. The head ends in
# nn.Softmax(dim=1), as in the multi-class tutorial it was copied from: over one unit the
# "probability" is always 1.0, BCELoss sees the same value for every review, and nothing learns.
import torch
from torch import nn

torch.manual_seed(0)
VOCAB = 200

reviews = (torch.rand(256, VOCAB) < 0.05).float()
positive_words = torch.zeros(VOCAB)
positive_words[:20] = 1.0
labels = ((reviews @ positive_words) > 0.5).float().unsqueeze(1)

model = nn.Sequential(
    nn.Linear(VOCAB, 64),
    nn.ReLU(),
    nn.Dropout(0.1),
    nn.Linear(64, 1),
    nn.Softmax(dim=1),
)
criterion = nn.BCELoss()
optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)

for epoch in range(10):
    model.train()
    for i in range(0, len(reviews), 32):
        probs = model(reviews[i:i + 32])
        loss = criterion(probs, labels[i:i + 32])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    print(f"epoch {epoch}: loss {loss.item():.4f}")
