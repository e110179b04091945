import torch
import torch.nn as nn

torch.manual_seed(0)

features = nn.Sequential(nn.Linear(10, 24), nn.ReLU())
classifier = nn.Linear(24, 2)
optimizer = torch.optim.Adam(classifier.parameters(), lr=1e-2)

x = torch.randn(64, 10)
y = (x[:, 0] > 0).long()
for epoch in range(4):
    if epoch == 2:
        # after the warm-up, train the feature layers too, at a lower rate
        optimizer.add_param_group({"params": features, "lr": 1e-3})
    optimizer.zero_grad()
    loss = nn.functional.cross_entropy(classifier(features(x)), y)
    loss.backward()
    optimizer.step()
    print(epoch, loss.item())
