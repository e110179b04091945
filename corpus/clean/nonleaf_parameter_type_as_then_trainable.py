"""Correct: the variational parameters are cast to the data's dtype first and made trainable
after, so they are leaves; a helper returns them in a dict."""
import torch


def guide(data):
    loc = torch.randn(1, 3).type_as(data).requires_grad_()
    log_scale = torch.full((1, 3), -2.0).type_as(data).requires_grad_(True)
    return {"loc": loc, "log_scale": log_scale}


data = torch.randn(100, 3, dtype=torch.float64)
params = guide(data)
optimizer = torch.optim.Adam(list(params.values()), lr=0.05)
for step in range(30):
    sample = params["loc"] + params["log_scale"].exp() * torch.randn_like(params["loc"])
    loss = ((data - sample) ** 2).mean() - params["log_scale"].sum()
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
