import torch
import torch.nn as nn
import torch.optim as optim

torch.manual_seed(0)


class Backbone(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 8, kernel_size=3, padding=1)
        self.pool = nn.AdaptiveAvgPool2d(1)

    def forward(self, x):
        x = torch.relu(self.conv(x))
        return self.pool(x).flatten(1)


# pretend this came from a pretraining run
pretrained = Backbone()
state = pretrained.state_dict()

backbone = Backbone()
backbone.load_state_dict(state)
for p in backbone.parameters():
    p.requires_grad = False
backbone.eval()

head = nn.Linear(8, 4)
optimizer = optim.SGD(head.parameters(), lr=0.1, momentum=0.9)
criterion = nn.CrossEntropyLoss()

images = torch.randn(32, 3, 16, 16)
labels = torch.randint(0, 4, (32,))

for step in range(5):
    optimizer.zero_grad()
    features = backbone(images)
    logits = head(features)
    loss = criterion(logits, labels)
    loss.backward()
    optimizer.step()
    print(f"step {step}: loss {loss.item():.4f}")
