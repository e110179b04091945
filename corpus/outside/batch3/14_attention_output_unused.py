# Report: https://github.com/INK-USC/RE-Net/issues/6
# Summary: the aggregator computes attention-weighted history but feeds a zero tensor to the GRU, so the attention layer and GRU input weights never train (silent).
import torch
import torch.nn as nn
from torch.utils.data import DataLoader, TensorDataset


class AttnAggregator(nn.Module):
    def __init__(self, h_dim, dropout=0.1):
        super().__init__()
        self.h_dim = h_dim
        self.attn_s = nn.Linear(h_dim, 1)
        self.dropout = nn.Dropout(dropout)
        self.gru = nn.GRU(h_dim, h_dim, batch_first=True)

    def forward(self, history):
        # history: (batch, seq_len, h_dim) embeddings of past events
        batch, seq_len, _ = history.shape
        s_embed_seq_tensor = torch.zeros(batch, seq_len, self.h_dim)
        weights = torch.softmax(self.attn_s(history).squeeze(-1), dim=1)
        weighted = history * weights.unsqueeze(-1) * seq_len
        s_embed_seq_tensor = self.dropout(s_embed_seq_tensor)
        _, h = self.gru(s_embed_seq_tensor)
        return h.squeeze(0)


class EventPredictor(nn.Module):
    def __init__(self, n_entities=50, h_dim=32):
        super().__init__()
        self.embed = nn.Embedding(n_entities, h_dim)
        self.aggregator = AttnAggregator(h_dim)
        self.out = nn.Linear(2 * h_dim, n_entities)

    def forward(self, subject, hist_ids):
        s = self.embed(subject)
        agg = self.aggregator(self.embed(hist_ids))
        return self.out(torch.cat([s, agg], dim=-1))


def main():
    torch.manual_seed(14)
    subjects = torch.randint(0, 50, (2000,))
    hist = torch.randint(0, 50, (2000, 6))
    targets = hist[:, -1]
    loader = DataLoader(TensorDataset(subjects, hist, targets), batch_size=100, shuffle=True)

    model = EventPredictor()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()
    for epoch in range(4):
        total = 0.0
        for s, h, y in loader:
            loss = loss_fn(model(s, h), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += loss.item()
        print(f"epoch {epoch}: nll {total / len(loader):.4f}")


if __name__ == "__main__":
    main()
