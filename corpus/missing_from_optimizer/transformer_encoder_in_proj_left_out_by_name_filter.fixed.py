# A sentence classifier over token ids: an embedding, a stack of nn.TransformerEncoder layers and a
# linear head. The AdamW groups are sorted by parameter name, weight matrices with decay, biases
# and norms without; the attention's packed projection is named in_proj_weight / in_proj_bias.
import torch
import torch.nn as nn
import torch.nn.functional as F


class TextClassifier(nn.Module):
    def __init__(self, vocab=100, dim=32, heads=4, depth=2, n_classes=3):
        super().__init__()
        self.embed = nn.Embedding(vocab, dim)
        layer = nn.TransformerEncoderLayer(dim, heads, 2 * dim, dropout=0.0, batch_first=True)
        self.encoder = nn.TransformerEncoder(layer, depth, enable_nested_tensor=False)
        self.head = nn.Linear(dim, n_classes)

    def forward(self, tokens):
        return self.head(self.encoder(self.embed(tokens)).mean(dim=1))


torch.manual_seed(0)
tokens = torch.randint(0, 100, (128, 12))
labels = tokens[:, 0] % 3
model = TextClassifier()

decay, no_decay = [], []
for name, param in model.named_parameters():
    if name.endswith(".weight") and param.ndim >= 2:
        decay.append(param)
    elif name.endswith(".bias") or "norm" in name:
        no_decay.append(param)
    else:
        no_decay.append(param)
optimizer = torch.optim.AdamW(
    [{"params": decay, "weight_decay": 0.01}, {"params": no_decay, "weight_decay": 0.0}], lr=1e-3
)

for epoch in range(3):
    for i in range(0, len(tokens), 32):
        loss = F.cross_entropy(model(tokens[i:i + 32]), labels[i:i + 32])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    print(f"epoch {epoch}: loss {loss.item():.3f}")
