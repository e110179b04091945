"""Review-sentiment LSTM on static pretrained word vectors, as the hyperparameters say: the
embedding keeps from_pretrained's default freeze."""
import torch
import torch.nn as nn
import torch.nn.functional as F

HPARAMS = {
    "vocab": 250,
    "dim": 24,
    "hidden": 32,
    "train_embeddings": False,
    "lr": 2e-3,
}


class SentimentLSTM(nn.Module):
    def __init__(self, vectors, hidden):
        super().__init__()
        self.embeddings = nn.Embedding.from_pretrained(vectors, padding_idx=0)
        self.lstm = nn.LSTM(vectors.size(1), hidden, batch_first=True)
        self.out = nn.Linear(hidden, 2)

    def forward(self, tokens):
        states, _ = self.lstm(self.embeddings(tokens))
        return self.out(states[:, -1])


torch.manual_seed(0)
vectors = torch.randn(HPARAMS["vocab"], HPARAMS["dim"])  # stand-in for word2vec vectors
model = SentimentLSTM(vectors, HPARAMS["hidden"])
optimizer = torch.optim.Adam(model.parameters(), lr=HPARAMS["lr"])
tokens = torch.randint(1, HPARAMS["vocab"], (96, 10))
labels = (tokens[:, 0] > HPARAMS["vocab"] // 2).long()
for epoch in range(3):
    for i in range(0, 96, 32):
        loss = F.cross_entropy(model(tokens[i:i + 32]), labels[i:i + 32])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    print(f"epoch {epoch} loss {loss.item():.4f}")
