import torch
import torch.nn as nn

torch.manual_seed(0)

features = nn.Sequential(
    nn.Conv2d(3, 8, 3, padding=1),
    nn.BatchNorm2d(8),
    nn.ReLU(inplace=True),
    nn.AdaptiveAvgPool2d(4),
    nn.Flatten(),
)
classifier = nn.Sequential(
    nn.Linear(8 * 4 * 4, 64),
    nn.ReLU(),
    nn.Dropout(0.3, True),
    nn.Linear(64, 10),
)
model = nn.Sequential(features, classifier)

criterion = nn.CrossEntropyLoss()
optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, nesterov=True)
images, labels = torch.randn(32, 3, 16, 16), torch.randint(0, 10, (32,))
model.train()
for it in range(15):
    logits = model(images)
    loss = criterion(logits, labels)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
print(f"loss after training: {loss.item():.4f}")
