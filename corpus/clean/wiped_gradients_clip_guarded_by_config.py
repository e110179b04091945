# Clipping is switched off by a max norm of 0 in the config, and the call is guarded accordingly;
# gradients are also averaged over two micro-batches before the step.
import torch
import torch.nn as nn
import torch.nn.functional as F

cfg = dict(lr=1e-2, max_grad_norm=0.0, clip_value=None, accum=2, epochs=3)

torch.manual_seed(11)
x = torch.randn(96, 6)
y = x @ torch.randn(6, 1) + 0.1 * torch.randn(96, 1)

net = nn.Sequential(nn.Linear(6, 24), nn.SiLU(), nn.Linear(24, 1))
optimizer = torch.optim.Adam(net.parameters(), lr=cfg["lr"])

for epoch in range(cfg["epochs"]):
    optimizer.zero_grad()
    for i, start in enumerate(range(0, 96, 16)):
        loss = F.mse_loss(net(x[start:start + 16]), y[start:start + 16]) / cfg["accum"]
        loss.backward()
        if (i + 1) % cfg["accum"] == 0:
            if cfg["max_grad_norm"]:
                nn.utils.clip_grad_norm_(net.parameters(), cfg["max_grad_norm"])
            if cfg["clip_value"] is not None:
                nn.utils.clip_grad_value_(net.parameters(), cfg["clip_value"])
            for p in net.parameters():
                p.grad.div_(cfg["accum"] / 2)  # rescale to the mean over the micro-batches
            optimizer.step()
            optimizer.zero_grad()
    print(f"epoch {epoch}: mse {loss.item() * cfg['accum']:.4f}")
