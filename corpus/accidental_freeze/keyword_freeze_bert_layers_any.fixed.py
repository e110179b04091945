"""Fine-tune a small BERT-style encoder on a toy sentence-pair task, keeping the embeddings and
the two lowest encoder layers at their pretrained values."""
import torch
import torch.nn as nn
import torch.nn.functional as F

VOCAB, HIDDEN, LAYERS, HEADS, SEQ = 200, 32, 12, 4, 16
FREEZE = ["embeddings", "encoder.layer.0.", "encoder.layer.1."]


class Layer(nn.Module):
    def __init__(self):
        super().__init__()
        self.attention = nn.MultiheadAttention(HIDDEN, HEADS, batch_first=True)
        self.attention_norm = nn.LayerNorm(HIDDEN)
        self.intermediate = nn.Linear(HIDDEN, 4 * HIDDEN)
        self.output = nn.Linear(4 * HIDDEN, HIDDEN)
        self.output_norm = nn.LayerNorm(HIDDEN)

    def forward(self, x):
        x = self.attention_norm(x + self.attention(x, x, x, need_weights=False)[0])
        return self.output_norm(x + self.output(F.gelu(self.intermediate(x))))


class Encoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.layer = nn.ModuleList([Layer() for _ in range(LAYERS)])

    def forward(self, x):
        for layer in self.layer:
            x = layer(x)
        return x


class Embeddings(nn.Module):
    def __init__(self):
        super().__init__()
        self.word = nn.Embedding(VOCAB, HIDDEN)
        self.position = nn.Embedding(SEQ, HIDDEN)
        self.norm = nn.LayerNorm(HIDDEN)

    def forward(self, ids):
        return self.norm(self.word(ids) + self.position(torch.arange(ids.shape[1])))


class BertClassifier(nn.Module):
    def __init__(self, num_labels=2):
        super().__init__()
        self.embeddings = Embeddings()
        self.encoder = Encoder()
        self.classifier = nn.Linear(HIDDEN, num_labels)

    def forward(self, ids):
        return self.classifier(self.encoder(self.embeddings(ids))[:, 0])


def pretrained_state():
    torch.manual_seed(1)
    return BertClassifier().state_dict()


def batches(n, size=16):
    for _ in range(n):
        ids = torch.randint(1, VOCAB, (size, SEQ))
        labels = (ids[:, 1] > ids[:, 2]).long()
        yield ids, labels


model = BertClassifier()
model.load_state_dict(pretrained_state())
for name, param in model.named_parameters():
    if any(key in name for key in FREEZE):
        param.requires_grad = False

optimizer = torch.optim.AdamW(model.parameters(), lr=2e-4)
for step, (ids, labels) in enumerate(batches(30)):
    loss = F.cross_entropy(model(ids), labels)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    if step % 10 == 0:
        print(f"step {step}: {loss.item():.4f}")
