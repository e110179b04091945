# Conditional GAN on 1-D data: D and G alternate, each with its own optimizer; G's loss also
# reaches D, whose gradients from it are cleared before D's next step.
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
NOISE, CLASSES = 6, 3

gen = nn.Sequential(nn.Linear(NOISE + CLASSES, 32), nn.ReLU(), nn.Linear(32, 1))
disc = nn.Sequential(nn.Linear(1 + CLASSES, 32), nn.LeakyReLU(0.2), nn.Linear(32, 1))
g_optimizer = torch.optim.Adam(gen.parameters(), lr=1e-3, betas=(0.5, 0.999))
d_optimizer = torch.optim.Adam(disc.parameters(), lr=1e-3, betas=(0.5, 0.999))


def d_step(real, labels, fake):
    d_optimizer.zero_grad()
    real_logits = disc(torch.cat([real, labels], 1))
    fake_logits = disc(torch.cat([fake.detach(), labels], 1))
    loss = F.binary_cross_entropy_with_logits(real_logits, torch.ones_like(real_logits)) + \
        F.binary_cross_entropy_with_logits(fake_logits, torch.zeros_like(fake_logits))
    loss.backward()
    d_optimizer.step()
    return loss.item()


def g_step(labels, fake):
    g_optimizer.zero_grad()
    logits = disc(torch.cat([fake, labels], 1))
    loss = F.binary_cross_entropy_with_logits(logits, torch.ones_like(logits))
    loss.backward()
    g_optimizer.step()
    return loss.item()


for it in range(300):
    cls = torch.randint(0, CLASSES, (32,))
    labels = F.one_hot(cls, CLASSES).float()
    real = cls.float().unsqueeze(1) * 2 + 0.2 * torch.randn(32, 1)
    fake = gen(torch.cat([torch.randn(32, NOISE), labels], 1))
    d_loss = d_step(real, labels, fake)
    g_loss = g_step(labels, fake)
    if it % 100 == 0:
        print(it, round(d_loss, 3), round(g_loss, 3))
