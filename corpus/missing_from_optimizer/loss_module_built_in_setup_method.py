# Speaker verification experiment: the optimizer is made with the encoder, the AM-softmax loss
# (with its class weights) only once setup() knows how many speakers there are.
import torch
import torch.nn as nn
import torch.nn.functional as F


class AMSoftmax(nn.Module):
    def __init__(self, dim, speakers, s=20.0, m=0.25):
        super().__init__()
        self.weight = nn.Linear(dim, speakers, bias=False)
        self.s, self.m = s, m

    def forward(self, emb, labels):
        cos = F.linear(F.normalize(emb), F.normalize(self.weight.weight))
        logits = self.s * (cos - self.m * F.one_hot(labels, cos.size(1)))
        return F.cross_entropy(logits, labels)


class Experiment:
    def __init__(self, encoder, lr=1e-3):
        self.encoder = encoder
        self.opt = torch.optim.AdamW(encoder.parameters(), lr=lr)
        self.loss_fn = None

    def setup(self, speakers):
        self.loss_fn = AMSoftmax(24, speakers)

    def fit(self, feats, labels, epochs=3):
        for epoch in range(epochs):
            for i in range(0, len(feats), 16):
                loss = self.loss_fn(self.encoder(feats[i:i + 16]), labels[i:i + 16])
                self.opt.zero_grad()
                loss.backward()
                self.opt.step()
            print(epoch, round(loss.item(), 4))


if __name__ == "__main__":
    torch.manual_seed(0)
    encoder = nn.Sequential(nn.Linear(40, 64), nn.ReLU(), nn.Linear(64, 24))
    experiment = Experiment(encoder)
    feats, labels = torch.randn(64, 40), torch.randint(0, 5, (64,))
    experiment.setup(speakers=5)
    experiment.fit(feats, labels)
