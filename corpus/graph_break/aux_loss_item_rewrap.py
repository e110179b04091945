import torch as T
import torch.nn as nn
import torch.nn.functional as F

T.manual_seed(0)

x = T.randn(96, 16)
y = T.randint(0, 3, (96,))

encoder = nn.Sequential(nn.Linear(16, 8), nn.Tanh())
decoder = nn.Linear(8, 16)
classifier = nn.Linear(8, 3)

params = list(encoder.parameters()) + list(decoder.parameters()) + list(classifier.parameters())
optimizer = T.optim.Adam(params, lr=5e-3)
recon_weight = 0.5

for step in range(8):
    optimizer.zero_grad()
    z = encoder(x)
    ce_loss = F.cross_entropy(classifier(z), y)
    recon_loss = F.mse_loss(decoder(z), x)
    # combine the auxiliary reconstruction term with the task loss
    loss = ce_loss + recon_weight * T.tensor(recon_loss.item(), requires_grad=True)
    loss.backward()
    optimizer.step()
    print(f"step {step}: ce {ce_loss.item():.4f} recon {recon_loss.item():.4f}")
