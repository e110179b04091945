"""Remaining-useful-life regression for turbofan engines (synthetic run-to-failure sensor
traces: a hidden degradation that accelerates, seen through 8 noisy sensors with operating-mode
offsets). The lower layers' gradients are scaled down (discriminative learning rates)."""
import torch
import torch.nn as nn

torch.manual_seed(31)
WINDOW, SENSORS, MAX_RUL = 20, 8, 125.0
LAYER_GRAD_SCALE = {"encoder": 0.3, "regressor": 1.0}
SENSOR_MIX = torch.randn(SENSORS)


def engine_trace(life):
    t = torch.arange(life, dtype=torch.float32)
    health = 1.0 - (t / life) ** 2.2
    mode = torch.randint(0, 3, (life,)).float()
    readings = (1 - health)[:, None] * SENSOR_MIX[None, :] + 0.3 * mode[:, None] + 0.08 * torch.randn(life, SENSORS)
    rul = (life - 1 - t).clamp(max=MAX_RUL)
    return readings, rul


def build_windows(n_engines):
    xs, ys = [], []
    for _ in range(n_engines):
        readings, rul = engine_trace(int(torch.randint(150, 300, (1,))))
        for end in range(WINDOW, len(rul), 3):
            xs.append(readings[end - WINDOW:end].flatten())
            ys.append(rul[end - 1] / MAX_RUL)
    return torch.stack(xs), torch.stack(ys)


def scale_gradients(factor):
    def hook(p):
        p.grad.mul_(factor)

    return hook


class RULNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.encoder = nn.Sequential(nn.Linear(WINDOW * SENSORS, 128), nn.ReLU(), nn.Linear(128, 64), nn.ReLU())
        self.regressor = nn.Sequential(nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 1))

    def forward(self, x):
        return self.regressor(self.encoder(x)).squeeze(-1)


x_train, y_train = build_windows(30)
x_test, y_test = build_windows(8)
model = RULNet()
for name, part in model.named_children():
    for param in part.parameters():
        param.register_post_accumulate_grad_hook(scale_gradients(LAYER_GRAD_SCALE[name]))

optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
for epoch in range(5):
    order = torch.randperm(len(x_train))
    for i in range(0, len(order), 128):
        idx = order[i:i + 128]
        optimizer.zero_grad()
        loss = nn.functional.mse_loss(model(x_train[idx]), y_train[idx])
        loss.backward()
        optimizer.step()
    with torch.no_grad():
        rmse = (model(x_test) - y_test).pow(2).mean().sqrt().item() * MAX_RUL
    print(f"epoch {epoch}: train mse {loss.item():.4f}, test RMSE {rmse:.1f} cycles")
