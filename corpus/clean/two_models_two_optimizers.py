import torch
import torch.nn as nn
import torch.optim as optim

torch.manual_seed(0)

regressor = nn.Sequential(nn.Linear(8, 16), nn.Tanh(), nn.Linear(16, 1))
classifier = nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 3))

opt_reg = optim.SGD(regressor.parameters(), lr=0.05)
opt_cls = optim.Adam(classifier.parameters(), lr=1e-3)

mse = nn.MSELoss()
ce = nn.CrossEntropyLoss()

x = torch.randn(64, 8)
y_reg = torch.randn(64, 1)
y_cls = torch.randint(0, 3, (64,))

for step in range(5):
    opt_reg.zero_grad()
    loss_reg = mse(regressor(x), y_reg)
    loss_reg.backward()
    opt_reg.step()

    opt_cls.zero_grad()
    loss_cls = ce(classifier(x), y_cls)
    loss_cls.backward()
    opt_cls.step()

    print(f"step {step}: reg {loss_reg.item():.4f} cls {loss_cls.item():.4f}")
