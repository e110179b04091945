import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
device = "cuda" if torch.cuda.is_available() else "cpu"

VOCAB, EMB_DIM, N_CLASSES, SEQ_LEN, PAD = 200, 24, 3, 12, 0


def load_pretrained_vectors():
    """Stand-in for GloVe/word2vec: random vectors, with a zero row for <pad>."""
    vectors = torch.randn(VOCAB, EMB_DIM) * 0.5
    vectors[PAD] = 0.0
    return vectors


def make_corpus(n):
    # each class prefers a different band of the vocabulary ("topic words")
    y = torch.randint(0, N_CLASSES, (n,))
    lengths = torch.randint(5, SEQ_LEN + 1, (n,))
    x = torch.full((n, SEQ_LEN), PAD, dtype=torch.long)
    for i in range(n):
        topic = torch.randint(1 + 60 * y[i].item(), 61 + 60 * y[i].item(), (lengths[i].item(),))
        noise = torch.randint(1, VOCAB, (lengths[i].item(),))
        use_topic = torch.rand(lengths[i].item()) < 0.35
        x[i, :lengths[i]] = torch.where(use_topic, topic, noise)
    return x, lengths, y


class TextClassifier(nn.Module):
    def __init__(self, vectors, hidden=32):
        super().__init__()
        self.embedding = nn.Embedding.from_pretrained(vectors, freeze=False, padding_idx=PAD)
        self.rnn = nn.GRU(EMB_DIM, hidden, batch_first=True, bidirectional=True)
        self.fc = nn.Linear(2 * hidden, N_CLASSES)

    def forward(self, tokens, lengths):
        emb = self.embedding(tokens)
        packed = nn.utils.rnn.pack_padded_sequence(emb, lengths.cpu(), batch_first=True, enforce_sorted=False)
        _, h = self.rnn(packed)
        return self.fc(torch.cat([h[0], h[1]], dim=1))


x_train, len_train, y_train = make_corpus(512)
x_val, len_val, y_val = make_corpus(128)
model = TextClassifier(load_pretrained_vectors()).to(device)

# fine-tune the embeddings gently, the rest of the network with a larger lr
emb_params = list(model.embedding.parameters())
other_params = [p for n, p in model.named_parameters() if not n.startswith("embedding.")]
optimizer = torch.optim.Adam([
    {"params": emb_params, "lr": 1e-3},
    {"params": other_params, "lr": 5e-3},
])

for epoch in range(3):
    model.train()
    perm = torch.randperm(len(x_train))
    for i in range(0, len(x_train), 32):
        idx = perm[i:i + 32]
        logits = model(x_train[idx].to(device), len_train[idx])
        loss = F.cross_entropy(logits, y_train[idx].to(device))
        optimizer.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 5.0)
        optimizer.step()
    model.eval()
    with torch.no_grad():
        acc = (model(x_val.to(device), len_val).argmax(1).cpu() == y_val).float().mean().item()
    print(f"epoch {epoch} train loss {loss.item():.3f} val acc {acc:.3f}")
