"""Adversarial training of a small convolutional classifier on synthetic 8x8 "images" (a bright
bar, horizontal or vertical, in noise). Each step perturbs the batch with FGSM, the sign of the
loss's input gradient, and trains on clean and perturbed images; every few steps a saliency map
(the input gradient of the true class's logit) is summarised for the logs. Neither gradient is
differentiated again: they are read as values."""
import torch
import torch.nn.functional as F
from torch import nn

torch.manual_seed(0)


def bars(n):
    labels = torch.randint(0, 2, (n,))
    images = 0.3 * torch.randn(n, 1, 8, 8)
    rows = torch.randint(1, 7, (n,))
    for i in range(n):
        if labels[i] == 0:
            images[i, 0, rows[i], :] += 1.0
        else:
            images[i, 0, :, rows[i]] += 1.0
    return images, labels


model = nn.Sequential(nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                      nn.Linear(8 * 4 * 4, 2))
optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
epsilon = 0.1

for step in range(150):
    images, labels = bars(64)
    images.requires_grad_(True)
    logits = model(images)
    loss = F.cross_entropy(logits, labels)
    (input_grad,) = torch.autograd.grad(loss, images, retain_graph=True)
    adversarial = (images + epsilon * input_grad.sign()).detach()

    if step % 50 == 0:
        (saliency,) = torch.autograd.grad(logits.gather(1, labels[:, None]).sum(), images, retain_graph=True)
        on_bar = (saliency.abs() * (images.detach() > 0.5)).sum() / saliency.abs().sum()
        print(f"step {step}: loss {loss.item():.3f}, saliency on the bar {on_bar.item():.2f}")

    total = 0.5 * loss + 0.5 * F.cross_entropy(model(adversarial), labels)
    optimizer.zero_grad()
    total.backward()
    optimizer.step()
