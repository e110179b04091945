"""Affine calibration whose parameters live in a dict built by a function: `.type(...)` after
requires_grad=True makes each a copy, not a leaf."""
import torch
import torch.nn.functional as F


def calibration_parameters():
    scale = torch.ones(3, requires_grad=True).type(torch.float64)
    shift = (0.1 * torch.randn(3)).requires_grad_().type(torch.float64)
    return {"scale": scale, "shift": shift}


logits = torch.randn(128, 3, dtype=torch.float64)
targets = torch.randint(0, 3, (128,))
calibration = calibration_parameters()
optimizer = torch.optim.LBFGS(list(calibration.values()), lr=0.1)


def closure():
    optimizer.zero_grad()
    loss = F.cross_entropy(logits * calibration["scale"] + calibration["shift"], targets)
    loss.backward()
    return loss


for step in range(5):
    optimizer.step(closure)
