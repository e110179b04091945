# Two-expert regressor: inputs flagged as outliers go to a robust expert, the rest to the main one.
import torch
import torch.nn as nn

torch.manual_seed(0)
x = torch.randn(256, 5)
y = x.sum(dim=1, keepdim=True) + 0.1 * torch.randn(256, 1)
OUTLIER_Z = 6.0  # z-score above which a sample counts as an outlier


class TwoExperts(nn.Module):
    def __init__(self):
        super().__init__()
        self.main = nn.Sequential(nn.Linear(5, 32), nn.ReLU(), nn.Linear(32, 1))
        self.robust = nn.Sequential(nn.Linear(5, 16), nn.ReLU(), nn.Linear(16, 1))

    def forward(self, x):
        outlier = (x.abs() > OUTLIER_Z).any(dim=1, keepdim=True)
        return torch.where(outlier, self.robust(x), self.main(x))


model = TwoExperts()
optimizer = torch.optim.AdamW(model.parameters(), lr=1e-2, weight_decay=0.0)
for epoch in range(4):
    for i in range(0, 256, 64):
        loss = nn.functional.huber_loss(model(x[i:i + 64]), y[i:i + 64])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    print(epoch, round(loss.item(), 4))
