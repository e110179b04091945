import torch
import torch.nn as nn
import torch.optim as optim


class AutoencoderWithHead(nn.Module):
    def __init__(self, in_dim=12, code_dim=4, num_classes=3):
        super().__init__()
        self.encoder = nn.Sequential(nn.Linear(in_dim, 16), nn.ReLU(), nn.Linear(16, code_dim))
        self.decoder = nn.Sequential(nn.Linear(code_dim, 16), nn.ReLU(), nn.Linear(16, in_dim))
        # nearest-class-mean head, filled in after training (see fit_prototype_head)
        self.head = nn.Linear(code_dim, num_classes)

    def forward(self, x):
        return self.decoder(self.encoder(x))

    @torch.no_grad()
    def predict(self, x):
        return self.head(self.encoder(x)).argmax(dim=1)


@torch.no_grad()
def fit_prototype_head(model, x, y, num_classes=3):
    codes = model.encoder(x)
    means = torch.stack([codes[y == c].mean(dim=0) for c in range(num_classes)])
    # argmin ||z - mu||^2 == argmax (mu . z - 0.5 * ||mu||^2)
    model.head.weight.copy_(means)
    model.head.bias.copy_(-0.5 * (means ** 2).sum(dim=1))


torch.manual_seed(0)
y = torch.randint(0, 3, (150,))
x = torch.randn(150, 12) + 2.0 * nn.functional.one_hot(y, 12).float()

model = AutoencoderWithHead()
optimizer = optim.Adam(model.parameters(), lr=1e-2)
criterion = nn.MSELoss()

for epoch in range(8):
    optimizer.zero_grad()
    loss = criterion(model(x), x)
    loss.backward()
    optimizer.step()
    print(f"epoch {epoch}: recon {loss.item():.4f}")

model.eval()
fit_prototype_head(model, x, y)
accuracy = (model.predict(x) == y).float().mean().item()
print(f"train accuracy of prototype head: {accuracy:.3f}")
