# Report: https://github.com/pyro-ppl/pyro/pull/970
# "w_mu is that the `type_as` comes after the requires_grad assignment, so w_mu is no longer a
#  leaf variable."  The variational parameters are created with requires_grad=True and then cast
# to the dtype of the (float64, numpy-loaded) data, so the optimizer refuses them.
import numpy as np
import torch
import torch.nn.functional as F

torch.manual_seed(0)
np.random.seed(0)

N, p = 100, 2


def build_linear_dataset(N, p, noise_std=0.01):
    X = np.random.rand(N, p)
    w = 3 * np.ones(p)
    b = 1
    y = np.matmul(X, w) + np.repeat(b, N) + np.random.normal(0, noise_std, size=N)
    y = y.reshape(N, 1)
    return torch.from_numpy(np.concatenate((X, y), axis=1))  # float64, like the pyro example


def guide_params(data):
    # variational parameters of q(w), q(b)
    w_loc = torch.randn(1, p, requires_grad=True).type_as(data)
    w_log_sig = (-3.0 * torch.ones(1, p) + 0.05 * torch.randn(1, p)).requires_grad_(True).type_as(data)
    b_loc = torch.randn(1, requires_grad=True).type_as(data)
    b_log_sig = (-3.0 * torch.ones(1) + 0.05 * torch.randn(1)).requires_grad_(True).type_as(data)
    return {"w_loc": w_loc, "w_log_sig": w_log_sig, "b_loc": b_loc, "b_log_sig": b_log_sig}


def elbo_loss(params, data, num_samples=4):
    x, y = data[:, :-1], data[:, -1]
    w_sig, b_sig = F.softplus(params["w_log_sig"]), F.softplus(params["b_log_sig"])
    loss = 0.0
    for _ in range(num_samples):
        w = params["w_loc"] + w_sig * torch.randn_like(w_sig)  # reparameterised sample
        b = params["b_loc"] + b_sig * torch.randn_like(b_sig)
        y_hat = (x * w).sum(1) + b
        log_lik = torch.distributions.Normal(y_hat, 0.1).log_prob(y).sum()
        log_prior = torch.distributions.Normal(0.0, 10.0).log_prob(w).sum() + \
            torch.distributions.Normal(0.0, 10.0).log_prob(b).sum()
        log_q = torch.distributions.Normal(params["w_loc"], w_sig).log_prob(w).sum() + \
            torch.distributions.Normal(params["b_loc"], b_sig).log_prob(b).sum()
        loss = loss - (log_lik + log_prior - log_q)
    return loss / num_samples


data = build_linear_dataset(N, p)
params = guide_params(data)
optim = torch.optim.Adam(list(params.values()), lr=0.05)

for j in range(200):
    optim.zero_grad()
    loss = elbo_loss(params, data)
    loss.backward()
    optim.step()
    if j % 50 == 0:
        print(f"[iteration {j:04d}] loss: {loss.item() / N:.4f}")
print("w_loc", params["w_loc"].detach().numpy(), "b_loc", params["b_loc"].item())
