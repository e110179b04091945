"""Pretrain an autoencoder, then start a classifier from its encoder's weights (keys renamed)."""
import torch
import torch.nn as nn
import torch.nn.functional as F


class AutoEncoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.encoder = nn.Sequential(nn.Linear(20, 16), nn.Tanh(), nn.Linear(16, 8))
        self.decoder = nn.Sequential(nn.Linear(8, 16), nn.Tanh(), nn.Linear(16, 20))

    def forward(self, x):
        return self.decoder(self.encoder(x))


class Classifier(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(20, 16), nn.Tanh(), nn.Linear(16, 8))
        self.out = nn.Linear(8, 2)

    def forward(self, x):
        return self.out(torch.tanh(self.body(x)))


torch.manual_seed(11)
data = torch.randn(64, 20)
labels = (data.sum(dim=1) > 0).long()

ae = AutoEncoder()
ae_opt = torch.optim.Adam(ae.parameters(), lr=1e-2)
for _ in range(3):
    ae_opt.zero_grad()
    F.mse_loss(ae(data), data).backward()
    ae_opt.step()

clf = Classifier()
own = clf.state_dict()
with torch.no_grad():
    for key, tensor in ae.state_dict().items():
        if key.startswith("encoder."):
            own[key.replace("encoder.", "body.", 1)].copy_(tensor)
clf.load_state_dict(own)

clf_opt = torch.optim.RMSprop(clf.parameters(), lr=5e-3)
for epoch in range(5):
    clf_opt.zero_grad()
    loss = F.cross_entropy(clf(data), labels)
    loss.backward()
    clf_opt.step()
    print(f"{epoch=} {loss.item()=:.4f}")
