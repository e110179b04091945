import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)


class AutoEncoderClassifier(nn.Module):
    def __init__(self, d_in=24, d_code=8, n_classes=3):
        super().__init__()
        self.encoder = nn.Sequential(nn.Linear(d_in, 16), nn.ReLU(), nn.Linear(16, d_code))
        self.decoder = nn.Sequential(nn.Linear(d_code, 16), nn.ReLU(), nn.Linear(16, d_in))
        self.head = nn.Linear(d_code, n_classes)

    def reconstruct(self, x):
        return self.decoder(self.encoder(x))

    def forward(self, x):
        return self.head(torch.relu(self.encoder(x)))


x = torch.randn(128, 24)
y = torch.randint(0, 3, (128,))

# stage 1 (run once, saved): learn the code by reconstruction
autoencoder = AutoEncoderClassifier()
opt = torch.optim.Adam(autoencoder.parameters(), lr=1e-2)
for step in range(5):
    loss = F.mse_loss(autoencoder.reconstruct(x), x)
    opt.zero_grad()
    loss.backward()
    opt.step()
checkpoint = {k: v.clone() for k, v in autoencoder.state_dict().items()}

# stage 2: fit the head on the frozen code
model = AutoEncoderClassifier()
model.load_state_dict(checkpoint)
for p in model.parameters():
    p.requires_grad = False
for p in model.head.parameters():
    p.requires_grad = True
opt = torch.optim.Adam(model.head.parameters(), lr=1e-2)
for step in range(5):
    loss = F.cross_entropy(model(x), y)
    opt.zero_grad()
    loss.backward()
    opt.step()

# stage 3: fine-tune everything end to end
for p in model.parameters():
    p.requires_grad = True
opt = torch.optim.Adam(model.parameters(), lr=1e-3)
for step in range(5):
    loss = F.cross_entropy(model(x), y)
    opt.zero_grad()
    loss.backward()
    opt.step()
    print(f"step {step}: loss {loss.item():.4f}")
