# Poisson regression on the GPU with hand-made weights kept as module globals: they are made
# trainable where they are created and sent to the GPU afterwards; the optimizer is built in fit().
import torch

torch.manual_seed(0)
n_features = 5
X = torch.randn(400, n_features)
rate = torch.exp(X @ torch.linspace(-0.5, 0.5, n_features) + 0.3)
counts = torch.poisson(rate)
X, counts = X.cuda(), counts.cuda()

coef = torch.zeros(n_features, requires_grad=True)
intercept = torch.zeros(1, requires_grad=True)
coef = coef.detach().cuda().requires_grad_()
intercept = intercept.detach().cuda().requires_grad_()


def fit(epochs=30, lr=0.05):
    optimizer = torch.optim.Adam([coef, intercept], lr=lr)
    for epoch in range(epochs):
        log_rate = X @ coef + intercept
        loss = (torch.exp(log_rate) - counts * log_rate).mean()  # Poisson negative log-likelihood
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if epoch % 10 == 0:
            print(f"epoch {epoch}: nll {loss.item():.4f}")


fit()
