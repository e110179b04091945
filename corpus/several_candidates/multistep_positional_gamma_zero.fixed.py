# Poisson regression of hourly bike rentals from weather features, with a multi-step schedule.
import torch
import torch.nn as nn
from torch.optim.lr_scheduler import MultiStepLR

torch.manual_seed(0)
weather = torch.randn(720, 5)
rentals = torch.poisson(torch.exp(0.5 + weather @ torch.tensor([0.4, -0.3, 0.2, 0.0, 0.1])))

model = nn.Sequential(nn.Linear(5, 16), nn.Softplus(), nn.Linear(16, 1))
optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
scheduler = MultiStepLR(optimizer, [1, 2], 1)
loss_fn = nn.PoissonNLLLoss(log_input=True)

for epoch in range(5):
    for i in range(0, 720, 120):
        optimizer.zero_grad()
        loss = loss_fn(model(weather[i:i + 120]).squeeze(1), rentals[i:i + 120])
        loss.backward()
        optimizer.step()
    scheduler.step()
    print(f"epoch {epoch}: nll {loss.item():.4f} lr {scheduler.get_last_lr()[0]:g}")
