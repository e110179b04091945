"""A BiLSTM tagger with a CRF-style transition matrix, trained in float64."""
import torch
import torch.nn as nn
from torch.nn import Parameter

N_TAGS, VOCAB, EMB, HIDDEN = 5, 40, 16, 24


class Tagger(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(VOCAB, EMB, dtype=torch.float64)
        self.lstm = nn.LSTM(EMB, HIDDEN, batch_first=True, bidirectional=True, dtype=torch.float64)
        self.emit = nn.Linear(2 * HIDDEN, N_TAGS, dtype=torch.float64)
        # score of moving from tag i to tag j
        self.transitions = Parameter(data=torch.randn(N_TAGS, N_TAGS) * 0.1, requires_grad=True).double()

    def forward(self, tokens, tags):
        emissions = self.emit(self.lstm(self.embed(tokens))[0])
        gold = emissions.gather(-1, tags.unsqueeze(-1)).squeeze(-1).sum(1)
        gold = gold + self.transitions[tags[:, :-1], tags[:, 1:]].sum(1)
        # a crude normaliser: the best path score under independent choices
        norm = torch.logsumexp(emissions, -1).sum(1) + torch.logsumexp(self.transitions.flatten(), 0)
        return (norm - gold).mean()


def main():
    torch.manual_seed(0)
    tokens = torch.randint(0, VOCAB, (32, 12))
    tags = tokens % N_TAGS
    tagger = Tagger()
    optimizer = torch.optim.Adam(tagger.parameters(), lr=5e-3)
    for epoch in range(5):
        optimizer.zero_grad()
        loss = tagger(tokens, tags)
        loss.backward()
        optimizer.step()
        print(f"epoch {epoch}: nll {loss.item():.4f}")


if __name__ == "__main__":
    main()
