# Report: https://github.com/LitoNeo/pytorch-AutoEncoders/issues/2
# In train_whole the stacked autoencoder is meant to be unfrozen with
# `param.require_grad = True` -- a typo (requires_grad), so the pretrained encoder stays frozen.
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
torch.set_num_threads(1)  # small CPU job: avoid thread oversubscription
np.random.seed(0)
device = "cuda" if torch.cuda.is_available() else "cpu"

LAYERS = [64, 32, 16]


class AELayer(nn.Module):
    def __init__(self, d_in, d_out):
        super().__init__()
        self.encode = nn.Linear(d_in, d_out)
        self.decode = nn.Linear(d_out, d_in)

    def forward(self, x):
        h = torch.sigmoid(self.encode(x))
        return h, self.decode(h)


class StackedAutoEncoder(nn.Module):
    def __init__(self, dims):
        super().__init__()
        self.layers = nn.ModuleList([AELayer(a, b) for a, b in zip(dims[:-1], dims[1:])])

    def encode(self, x):
        for layer in self.layers:
            x, _ = layer(x)
        return x


class SAEClassifier(nn.Module):
    def __init__(self, dims, n_classes):
        super().__init__()
        self.sae = StackedAutoEncoder(dims)
        self.classifier = nn.Linear(dims[-1], n_classes)

    def forward(self, x):
        return self.classifier(self.sae.encode(x))


def make_data(n=256):
    x = torch.rand(n, LAYERS[0])
    y = (x[:, :8].sum(1) > 4).long()
    return x.to(device), y.to(device)


def train_layers(sae, x, epochs=20):
    """Greedy layer-wise pretraining, one layer at a time."""
    inp = x
    for i, layer in enumerate(sae.layers):
        opt = torch.optim.Adam(layer.parameters(), lr=1e-2)
        for _ in range(epochs):
            h, rec = layer(inp)
            loss = F.mse_loss(rec, inp)
            opt.zero_grad()
            loss.backward()
            opt.step()
        inp = h.detach()
        print(f"pretrained layer {i} rec loss {loss.item():.4f}")


def train_classifier_only(model, x, y, epochs=10):
    for param in model.sae.parameters():
        param.requires_grad = False
    opt = torch.optim.Adam(model.classifier.parameters(), lr=1e-2)
    for _ in range(epochs):
        loss = F.cross_entropy(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
    print(f"head warm-up loss {loss.item():.4f}")


def train_whole(model, x, y, epochs=20):
    for param in model.parameters():
        param.requires_grad = True
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    for _ in range(epochs):
        loss = F.cross_entropy(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
    print(f"fine-tune loss {loss.item():.4f}")


x, y = make_data()
pretrain_sae = StackedAutoEncoder(LAYERS).to(device)
train_layers(pretrain_sae, x)
checkpoint = {k: v.clone() for k, v in pretrain_sae.state_dict().items()}  # "saved" weights

model = SAEClassifier(LAYERS, 2).to(device)
model.sae.load_state_dict(checkpoint)
train_classifier_only(model, x, y)
train_whole(model, x, y)
