"""Fine-tune a small CNN classifier: the convolutional features stay frozen, the head trains."""
import torch
import torch.nn as nn
import torch.nn.functional as F


class SmallCNN(nn.Module):
    def __init__(self, num_classes=5):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(1),
        )
        self.classifier = nn.Sequential(nn.Flatten(), nn.Linear(32, 64), nn.ReLU(), nn.Linear(64, num_classes))

    def forward(self, x):
        return self.classifier(self.features(x))


torch.manual_seed(0)
model = SmallCNN()
# pretend the features were pretrained elsewhere
model.features.load_state_dict(SmallCNN().features.state_dict())

for param, name in model.named_parameters():
    if name.startswith("features."):
        param.requires_grad = False

optimizer = torch.optim.SGD(filter(lambda p: p.requires_grad, model.parameters()), lr=0.05, momentum=0.9)

images = torch.randn(32, 3, 16, 16)
targets = torch.randint(0, 5, (32,))
for epoch in range(5):
    for i in range(0, 32, 8):
        optimizer.zero_grad()
        loss = F.cross_entropy(model(images[i:i + 8]), targets[i:i + 8])
        loss.backward()
        optimizer.step()
    print(f"epoch {epoch}: loss {loss.item():.4f}")
