# Optimizer-in-backward to save memory: one optimizer per parameter, stepped by a hook as soon as
# that parameter's gradient is accumulated, so no gradient outlives its step.
import torch
from torch import nn

torch.manual_seed(0)
model = nn.Sequential(nn.Linear(16, 64), nn.GELU(), nn.Linear(64, 64), nn.GELU(), nn.Linear(64, 1))

step_hooks = []
for param in model.parameters():
    opt = torch.optim.AdamW([param], lr=1e-3, weight_decay=0.01)
    def step_now(p):
        opt.step()
        opt.zero_grad()
    step_hooks.append(param.register_post_accumulate_grad_hook(step_now))

x = torch.randn(512, 16)
y = torch.sin(x.sum(1, keepdim=True))
for epoch in range(5):
    for xb, yb in zip(x.split(64), y.split(64)):
        loss = nn.functional.mse_loss(model(xb), yb)
        loss.backward()
    print(epoch, loss.item())
