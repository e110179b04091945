# Report: https://github.com/649453932/Chinese-Text-Classification-Pytorch/issues/117
# nn.Embedding.from_pretrained(...) has freeze=True by default ("the tensor does not get
# updated in the learning process"). The config asks for fine-tuned pretrained word vectors,
# but the model builds the embedding without freeze=False, so it never changes.
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
torch.set_num_threads(1)  # small CPU job: avoid thread oversubscription
np.random.seed(0)
device = "cuda" if torch.cuda.is_available() else "cpu"


class Config:
    def __init__(self):
        self.model_name = "TextCNN"
        self.n_vocab = 200
        # stands in for np.load(embedding_SougouNews.npz)["embeddings"]
        self.embedding_pretrained = torch.tensor(np.random.randn(self.n_vocab, 30).astype("float32"))
        self.embed = self.embedding_pretrained.size(1)
        self.fine_tune_embedding = True
        self.num_filters = 16
        self.filter_sizes = (2, 3, 4)
        self.num_classes = 4
        self.dropout = 0.5
        self.pad_size = 20
        self.batch_size = 32
        self.num_epochs = 3
        self.learning_rate = 1e-3


class Model(nn.Module):
    def __init__(self, config):
        super().__init__()
        if config.embedding_pretrained is not None:
            self.embedding = nn.Embedding.from_pretrained(config.embedding_pretrained, freeze=False)
        else:
            self.embedding = nn.Embedding(config.n_vocab, config.embed, padding_idx=config.n_vocab - 1)
        self.convs = nn.ModuleList([nn.Conv2d(1, config.num_filters, (k, config.embed))
                                    for k in config.filter_sizes])
        self.dropout = nn.Dropout(config.dropout)
        self.fc = nn.Linear(config.num_filters * len(config.filter_sizes), config.num_classes)

    def conv_and_pool(self, x, conv):
        x = F.relu(conv(x)).squeeze(3)
        return F.max_pool1d(x, x.size(2)).squeeze(2)

    def forward(self, x):
        out = self.embedding(x).unsqueeze(1)
        out = torch.cat([self.conv_and_pool(out, conv) for conv in self.convs], 1)
        return self.fc(self.dropout(out))


def build_iterator(config, n=256):
    x = torch.randint(0, config.n_vocab, (n, config.pad_size))
    y = (x[:, 0] % config.num_classes)
    return [(x[i:i + config.batch_size].to(device), y[i:i + config.batch_size].to(device))
            for i in range(0, n, config.batch_size)]


def train(config, model, train_iter):
    model.train()
    optimizer = torch.optim.Adam(model.parameters(), lr=config.learning_rate)
    for epoch in range(config.num_epochs):
        for trains, labels in train_iter:
            outputs = model(trains)
            model.zero_grad()
            loss = F.cross_entropy(outputs, labels)
            loss.backward()
            optimizer.step()
        print(f"epoch {epoch} loss {loss.item():.4f}")


config = Config()
train_iter = build_iterator(config)
model = Model(config).to(device)
train(config, model, train_iter)
