"""Linear evaluation of a pretrained sentence encoder: the encoder is loaded, frozen with
requires_grad_(False) and run under no_grad inside the classifier's forward; the optimizer is built
over all the classifier's parameters (AdamW skips the frozen ones)."""
import torch
from torch import nn


class SentenceEncoder(nn.Module):
    def __init__(self, vocab=60, dim=32):
        super().__init__()
        self.embed = nn.Embedding(vocab, dim)
        self.mix = nn.TransformerEncoderLayer(dim, nhead=4, dim_feedforward=64, batch_first=True)

    def forward(self, ids):
        return self.mix(self.embed(ids)).mean(1)


class Probe(nn.Module):
    def __init__(self, encoder, dim=32, n_classes=3):
        super().__init__()
        self.encoder = encoder
        self.norm = nn.LayerNorm(dim)
        self.fc = nn.Linear(dim, n_classes)

    def forward(self, ids):
        with torch.no_grad():
            sentence = self.encoder(ids)
        return self.fc(self.norm(sentence))


torch.manual_seed(0)
checkpoint = SentenceEncoder().state_dict()
encoder = SentenceEncoder()
encoder.load_state_dict(checkpoint)
encoder.requires_grad_(False)
encoder.eval()
probe = Probe(encoder)
optimizer = torch.optim.AdamW(probe.parameters(), lr=1e-2)
for step in range(60):
    ids = torch.randint(0, 60, (16, 10))
    labels = ids[:, 0] % 3
    loss = nn.functional.cross_entropy(probe(ids), labels)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
print("probe loss", loss.item())
