import torch
import torch.nn as nn
import torch.optim as optim

torch.manual_seed(0)

encoder = nn.Sequential(nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 16))
decoder = nn.Sequential(nn.Linear(16, 128), nn.ReLU(), nn.Linear(128, 784), nn.Sigmoid())

# one optimizer for both halves of the autoencoder
optimizer = optim.SGD([encoder, decoder], lr=0.5, momentum=0.9)

images = torch.rand(128, 784)
for epoch in range(4):
    perm = torch.randperm(128)
    for i in range(0, 128, 32):
        batch = images[perm[i:i + 32]]
        recon = decoder(encoder(batch))
        loss = nn.functional.binary_cross_entropy(recon, batch)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    print(f"epoch {epoch} bce {loss.item():.4f}")
