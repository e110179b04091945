"""Search over random-feature regressors with a Gaussian controller (REINFORCE).

Each candidate is a width (number of random Fourier features), a bandwidth for the features and a
ridge penalty, decoded from a 3-d real vector. The controller is a full-covariance Gaussian over
that vector; every step it proposes a handful of candidates, each is fitted in closed form on the
training split and scored on the validation split, and the controller follows the score.
"""
import math

import torch
import torch.distributions as D
from torch import nn

torch.manual_seed(0)

N_TRAIN, N_VAL, DIM = 400, 200, 5
CANDIDATES_PER_STEP = 8
SEARCH_STEPS = 60
LR = 0.05
MIN_WIDTH, MAX_WIDTH = 8, 256


def make_data(n, gen):
    x = torch.rand(n, DIM, generator=gen) * 2 - 1
    y = torch.sin(3 * x[:, 0]) * torch.cos(2 * x[:, 1]) + 0.5 * x[:, 2] ** 2 - 0.3 * x[:, 3]
    return x, y + 0.1 * torch.randn(n, generator=gen)


class GaussianController(nn.Module):
    """A full-covariance Gaussian over (width, log bandwidth, log penalty) codes."""

    def __init__(self, dim=3):
        super().__init__()
        self.mu = nn.Parameter(torch.zeros(dim))
        self.raw_tril = nn.Parameter(torch.zeros(dim * (dim + 1) // 2))
        self.register_buffer("rows", torch.tril_indices(dim, dim)[0])
        self.register_buffer("cols", torch.tril_indices(dim, dim)[1])
        self.dim = dim

    def distribution(self):
        tril = torch.zeros(self.dim, self.dim)
        tril = tril.index_put((self.rows, self.cols), self.raw_tril)
        diag = nn.functional.softplus(torch.diagonal(tril)) + 1e-3
        tril = tril - torch.diag_embed(torch.diagonal(tril)) + torch.diag_embed(diag)
        return D.MultivariateNormal(self.mu, scale_tril=tril)


def decode(code):
    u = torch.tanh(code)
    width = int(round(math.exp(math.log(MIN_WIDTH) + (u[0].item() + 1) / 2 * math.log(MAX_WIDTH / MIN_WIDTH))))
    bandwidth = math.exp(1.5 * u[1].item())
    penalty = 10.0 ** (-4 + 3 * (u[2].item() + 1) / 2)
    return width, bandwidth, penalty


@torch.no_grad()
def score(code, data, seed):
    width, bandwidth, penalty = decode(code)
    (x_tr, y_tr), (x_va, y_va) = data
    gen = torch.Generator().manual_seed(seed)
    w = torch.randn(DIM, width, generator=gen) * bandwidth
    b = torch.rand(width, generator=gen) * 2 * math.pi
    phi_tr = torch.cos(x_tr @ w + b) * math.sqrt(2.0 / width)
    phi_va = torch.cos(x_va @ w + b) * math.sqrt(2.0 / width)
    gram = phi_tr.T @ phi_tr + penalty * torch.eye(width)
    coef = torch.linalg.solve(gram, phi_tr.T @ y_tr)
    val_mse = torch.mean((phi_va @ coef - y_va) ** 2).item()
    return -math.log(val_mse), (width, bandwidth, penalty)


def search_step(controller, optimizer, data, step):
    dist = controller.distribution()
    codes = dist.sample((CANDIDATES_PER_STEP,))
    results = [score(c, data, seed=1000 * step + i) for i, c in enumerate(codes)]
    rewards = torch.tensor([r for r, _ in results])
    advantages = (rewards - rewards.mean()) / (rewards.std() + 1e-6)

    log_probs = dist.log_prob(codes)
    loss = -(log_probs * advantages).sum() / CANDIDATES_PER_STEP
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()

    best = int(torch.argmax(rewards))
    return rewards.mean().item(), results[best]


def main():
    gen = torch.Generator().manual_seed(1)
    data = (make_data(N_TRAIN, gen), make_data(N_VAL, gen))
    controller = GaussianController()
    optimizer = torch.optim.Adam(controller.parameters(), lr=LR)

    best_reward, best_config = -float("inf"), None
    for step in range(SEARCH_STEPS):
        mean_reward, (reward, config) = search_step(controller, optimizer, data, step)
        if reward > best_reward:
            best_reward, best_config = reward, config
        if step % 10 == 0 or step == SEARCH_STEPS - 1:
            width, bandwidth, penalty = decode(controller.mu.detach())
            print(
                f"step {step:3d}  mean reward {mean_reward:.3f}  "
                f"controller mean -> width {width}, bandwidth {bandwidth:.2f}, penalty {penalty:.1e}"
            )
    width, bandwidth, penalty = best_config
    print(f"best: width {width}, bandwidth {bandwidth:.2f}, penalty {penalty:.1e}, val mse {math.exp(-best_reward):.4f}")


if __name__ == "__main__":
    main()
