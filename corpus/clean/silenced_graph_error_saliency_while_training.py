# Trains a small CNN and, after each epoch, logs a saliency map of one validation image.
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
images = torch.randn(64, 1, 10, 10)
labels = (images[:, :, 3:7, 3:7].mean(dim=(1, 2, 3)) > 0).long()
probe_image = torch.randn(1, 1, 10, 10)

model = nn.Sequential(nn.Conv2d(1, 6, 3), nn.ReLU(), nn.Flatten(), nn.Linear(6 * 8 * 8, 2))
optimizer = torch.optim.SGD(model.parameters(), lr=0.05)


def saliency(net, image, target):
    image = image.clone()
    image.requires_grad_(True)
    score = net(image)[0, target]
    score.backward()
    net.zero_grad(set_to_none=True)
    return image.grad.abs().squeeze()


for epoch in range(3):
    for i in range(0, 64, 16):
        loss = F.cross_entropy(model(images[i:i + 16]), labels[i:i + 16])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    heat = saliency(model, probe_image, target=1)
    print(f"epoch {epoch}: loss {loss.item():.3f} peak saliency at {divmod(int(heat.argmax()), 10)}")
