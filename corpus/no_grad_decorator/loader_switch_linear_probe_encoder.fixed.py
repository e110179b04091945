"""Linear probe on a pretrained sentence encoder. The encoder comes from a loader written for the
inference server, which switches autograd off "since we only run the encoder"."""
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(10)
VOCAB, DIM, LABELS = 120, 32, 4


class SentenceEncoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(VOCAB, DIM)
        self.mix = nn.TransformerEncoderLayer(DIM, 4, dim_feedforward=64, batch_first=True)

    def forward(self, ids):
        return self.mix(self.embed(ids)).mean(dim=1)


def load_encoder(seed=7):
    encoder = SentenceEncoder()
    generator = torch.Generator().manual_seed(seed)
    checkpoint = {k: torch.randn(v.shape, generator=generator) * 0.2 for k, v in encoder.state_dict().items()}
    encoder.load_state_dict(checkpoint)
    encoder.eval()
    encoder.requires_grad_(False)
    return encoder


encoder = load_encoder()
probe = nn.Linear(DIM, LABELS)
optimizer = torch.optim.SGD(probe.parameters(), lr=0.5)

ids = torch.randint(0, VOCAB, (96, 10))
labels = ids[:, :3].sum(1) % LABELS
for epoch in range(3):
    for i in range(0, 96, 32):
        loss = F.cross_entropy(probe(encoder(ids[i:i + 32])), labels[i:i + 32])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    print(f"epoch {epoch}: {loss.item():.3f}")
