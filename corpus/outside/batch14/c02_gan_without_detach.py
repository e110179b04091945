# Report: https://github.com/yunjey/pytorch-tutorial/issues/56
# Looks like a fault: the discriminator step uses G(z) without .detach(), so D's loss
# back-propagates into G. It is correct: only d_optimizer steps there, and the G gradients it
# leaves behind are cleared by reset_grad() before g_loss.backward(); a fresh G(z) is drawn
# for the generator step.
import numpy as np
import torch
import torch.nn as nn

torch.manual_seed(0)
torch.set_num_threads(1)  # small CPU job: avoid thread oversubscription
np.random.seed(0)
device = "cuda" if torch.cuda.is_available() else "cpu"

latent_size, hidden_size, image_size = 16, 64, 49
batch_size, num_epochs = 32, 3

D = nn.Sequential(nn.Linear(image_size, hidden_size), nn.LeakyReLU(0.2),
                  nn.Linear(hidden_size, hidden_size), nn.LeakyReLU(0.2),
                  nn.Linear(hidden_size, 1), nn.Sigmoid()).to(device)
G = nn.Sequential(nn.Linear(latent_size, hidden_size), nn.ReLU(),
                  nn.Linear(hidden_size, hidden_size), nn.ReLU(),
                  nn.Linear(hidden_size, image_size), nn.Tanh()).to(device)

criterion = nn.BCELoss()
d_optimizer = torch.optim.Adam(D.parameters(), lr=2e-4)
g_optimizer = torch.optim.Adam(G.parameters(), lr=2e-4)

# "MNIST": 7x7 blobs in [-1, 1]
data = torch.tanh(torch.randn(256, image_size) + torch.linspace(-1, 1, image_size))


def reset_grad():
    d_optimizer.zero_grad()
    g_optimizer.zero_grad()


for epoch in range(num_epochs):
    for i in range(0, len(data), batch_size):
        images = data[i:i + batch_size].to(device)
        real_labels = torch.ones(images.size(0), 1, device=device)
        fake_labels = torch.zeros(images.size(0), 1, device=device)

        # ---- train the discriminator ----
        outputs = D(images)
        d_loss_real = criterion(outputs, real_labels)
        z = torch.randn(images.size(0), latent_size, device=device)
        fake_images = G(z)
        outputs = D(fake_images)
        d_loss_fake = criterion(outputs, fake_labels)
        d_loss = d_loss_real + d_loss_fake
        reset_grad()
        d_loss.backward()
        d_optimizer.step()

        # ---- train the generator ----
        z = torch.randn(images.size(0), latent_size, device=device)
        fake_images = G(z)
        outputs = D(fake_images)
        g_loss = criterion(outputs, real_labels)
        reset_grad()
        g_loss.backward()
        g_optimizer.step()
    print(f"epoch {epoch} d_loss {d_loss.item():.4f} g_loss {g_loss.item():.4f}")
