# Look-alike (correct). Source: https://github.com/facebookresearch/simsiam/blob/main/simsiam/builder.py
# SimSiam returns z1.detach(), z2.detach() as targets: it looks like a graph cut, but each
# branch still receives gradient through the predictor path (p1 vs z2, p2 vs z1), so the
# encoder, projector and predictor all train. The stop-gradient is the method.
import torch
import torch.nn as nn

torch.manual_seed(0)
device = "cuda" if torch.cuda.is_available() else "cpu"


class SimSiam(nn.Module):
    def __init__(self, dim=32, pred_dim=8):
        super().__init__()
        self.encoder = nn.Sequential(
            nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(2), nn.Flatten(),
            nn.Linear(32, dim, bias=False), nn.BatchNorm1d(dim), nn.ReLU(),
            nn.Linear(dim, dim, bias=False), nn.BatchNorm1d(dim, affine=False))
        self.predictor = nn.Sequential(nn.Linear(dim, pred_dim, bias=False), nn.BatchNorm1d(pred_dim),
                                       nn.ReLU(inplace=True), nn.Linear(pred_dim, dim))

    def forward(self, x1, x2):
        z1 = self.encoder(x1)
        z2 = self.encoder(x2)
        p1 = self.predictor(z1)
        p2 = self.predictor(z2)
        return p1, p2, z1.detach(), z2.detach()


def augment(x):
    flip = torch.rand(x.size(0), 1, 1, 1) < 0.5
    x = torch.where(flip, x.flip(-1), x)
    return x + 0.1 * torch.randn_like(x)


model = SimSiam().to(device)
criterion = nn.CosineSimilarity(dim=1)
optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, weight_decay=1e-4)
images = torch.rand(32, 3, 8, 8)
for epoch in range(3):
    for i in range(0, 32, 8):
        x = images[i:i + 8]
        p1, p2, z1, z2 = model(augment(x).to(device), augment(x).to(device))
        loss = -(criterion(p1, z2).mean() + criterion(p2, z1).mean()) * 0.5
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    print(epoch, loss.item())
