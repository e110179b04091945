# Fit a 3-component diagonal Gaussian mixture to 2-D points by gradient descent on the likelihood.
import math

import torch

device = "cuda" if torch.cuda.is_available() else "cpu"
torch.manual_seed(0)

centres = torch.tensor([[-3.0, 0.0], [0.0, 3.0], [3.0, -1.0]])
points = torch.cat([c + 0.6 * torch.randn(300, 2) for c in centres]).to(device)

K = 3
means = torch.randn(K, 2, device=device, requires_grad=True)
log_scales = torch.zeros(K, 2, device=device, requires_grad=True)
mix_logits = torch.zeros(K, device=device, requires_grad=True)
optimizer = torch.optim.Adam([means, log_scales, mix_logits], lr=0.05)


def log_likelihood(x):
    z = (x[:, None, :] - means) / log_scales.exp()
    log_pdf = -0.5 * (z ** 2).sum(-1) - log_scales.sum(-1) - math.log(2 * math.pi)
    return torch.logsumexp(log_pdf + torch.log_softmax(mix_logits, 0), dim=1).mean()


for step in range(500):
    optimizer.zero_grad()
    nll = -log_likelihood(points)
    nll.backward()
    optimizer.step()
    if step % 100 == 0:
        print(f"step {step}: nll {nll.item():.4f}")
print(means.detach().cpu())
