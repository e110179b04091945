"""Document classification (PyText style DocNN) whose word-embedding module has a frozen,
pretrained lookup table followed by per-token MLP layers that adapt the pretrained vectors
to the task.  The config asks for the pretrained table to be frozen."""
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
device = "cuda" if torch.cuda.is_available() else "cpu"

VOCAB, EMB, SEQ, CLASSES = 150, 32, 20, 3


class WordEmbeddingConfig:
    embed_dim = EMB
    freeze = True
    mlp_layer_dims = [32, 32]


class WordEmbedding(nn.Module):
    def __init__(self, num_embeddings, embedding_dim, embeddings_weight=None, mlp_layer_dims=()):
        super().__init__()
        self.word_embedding = nn.Embedding(num_embeddings, embedding_dim, _weight=embeddings_weight)
        layers, in_dim = [], embedding_dim
        for dim in mlp_layer_dims:
            layers += [nn.Linear(in_dim, dim), nn.ReLU()]
            in_dim = dim
        self.mlp = nn.Sequential(*layers)
        self.embedding_dim = in_dim

    def forward(self, tokens):
        return self.mlp(self.word_embedding(tokens))

    @classmethod
    def from_config(cls, config, vocab_size, pretrained):
        return cls(vocab_size, config.embed_dim, pretrained, config.mlp_layer_dims)


def create_module(config, *args):
    module = WordEmbedding.from_config(config, *args)
    if getattr(config, "freeze", False):
        for param in module.parameters():
            param.requires_grad = False
    return module


class DocNN(nn.Module):
    def __init__(self, embedding, kernel_num=24, kernel_sizes=(3, 4), num_classes=CLASSES):
        super().__init__()
        self.embedding = embedding
        self.convs = nn.ModuleList([nn.Conv1d(embedding.embedding_dim, kernel_num, k, padding=k) for k in kernel_sizes])
        self.decoder = nn.Sequential(nn.Dropout(0.4), nn.Linear(kernel_num * len(kernel_sizes), num_classes))

    def forward(self, tokens):
        x = self.embedding(tokens).transpose(1, 2)
        x = torch.cat([F.relu(c(x)).max(2).values for c in self.convs], 1)
        return self.decoder(x)


def make_data(n):
    y = torch.randint(0, CLASSES, (n,))
    x = torch.randint(CLASSES * 5, VOCAB, (n, SEQ))
    for i in range(n):
        pos = torch.randint(0, SEQ, (3,))
        x[i, pos] = y[i] * 5 + torch.randint(0, 5, (3,))
    return x.to(device), y.to(device)


pretrained = torch.randn(VOCAB, EMB) * 0.5          # stand-in for GloVe vectors
embedding = create_module(WordEmbeddingConfig(), VOCAB, pretrained)
model = DocNN(embedding).to(device)
optimizer = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=2e-3)
print("trainable:", [n for n, p in model.named_parameters() if p.requires_grad])

x_train, y_train = make_data(384)
x_val, y_val = make_data(128)
for epoch in range(6):
    model.train()
    for i in range(0, len(x_train), 64):
        loss = F.cross_entropy(model(x_train[i:i + 64]), y_train[i:i + 64])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    model.eval()
    with torch.no_grad():
        acc = (model(x_val).argmax(1) == y_val).float().mean().item()
    print(f"epoch {epoch}  loss {loss.item():.4f}  val acc {acc:.3f}")
