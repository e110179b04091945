"""A gradient inspector, ported from code that looked at activations, asks every parameter of the
model to retain its gradient; the pretrained stem of the speech model is frozen."""
import torch
import torch.nn as nn

torch.manual_seed(5)


class KeywordNet(nn.Module):
    def __init__(self, mels=20, classes=6):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv1d(mels, 32, 5, padding=2), nn.GELU())
        self.body = nn.GRU(32, 32, batch_first=True)
        self.head = nn.Linear(32, classes)

    def forward(self, feats):
        h = self.stem(feats).transpose(1, 2)
        out, _ = self.body(h)
        return self.head(out[:, -1])


def watch(tensors):
    for t in tensors:
        if t.requires_grad:
            t.retain_grad()


def grad_report(model):
    return {n: float(p.grad.abs().mean()) for n, p in model.named_parameters() if p.grad is not None}


net = KeywordNet()
for p in net.stem.parameters():
    p.requires_grad = False
watch(list(net.parameters()))
optimizer = torch.optim.RMSprop(filter(lambda p: p.requires_grad, net.parameters()), lr=1e-3)

feats = torch.randn(30, 20, 25)
labels = torch.randint(0, 6, (30,))
for epoch in range(4):
    for i in range(0, 30, 10):
        loss = nn.functional.cross_entropy(net(feats[i:i + 10]), labels[i:i + 10])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    print(epoch, round(loss.item(), 4), len(grad_report(net)))
