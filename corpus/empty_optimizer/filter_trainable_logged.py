import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)

backbone = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten())
head = nn.Linear(8, 5)
model = nn.Sequential(backbone, head)
for p in backbone.parameters():
    p.requires_grad = False  # a pretrained feature extractor, kept frozen

trainable = filter(lambda p: p.requires_grad, model.parameters())
print("tensors to train:", len(list(trainable)))
optimizer = torch.optim.SGD(trainable, lr=0.1, momentum=0.9)

images = torch.randn(20, 3, 12, 12)
labels = torch.randint(0, 5, (20,))
for step in range(10):
    optimizer.zero_grad()
    loss = F.cross_entropy(model(images), labels)
    loss.backward()
    optimizer.step()
