# A two-layer network whose weights live in one flat vector (for a later evolution-strategies
# comparison); the optimizer is given the two matrices cut out of it.
import torch
import torch.nn.functional as F

torch.manual_seed(0)
N_IN, N_HIDDEN, N_OUT = 6, 16, 3
SPLIT = N_IN * N_HIDDEN

flat = torch.randn(SPLIT + N_HIDDEN * N_OUT, requires_grad=True)
W1 = flat[:SPLIT].view(N_IN, N_HIDDEN)
W2 = flat[SPLIT:].view(N_HIDDEN, N_OUT)

opt = torch.optim.SGD([W1, W2], lr=0.05)


def forward(x):
    return torch.tanh(x @ W1) @ W2


X = torch.randn(300, N_IN)
y = (X[:, 0] > 0).long() + (X[:, 1] > 0).long()
for epoch in range(40):
    loss = F.cross_entropy(forward(X), y)
    opt.zero_grad()
    loss.backward()
    opt.step()
print("loss", loss.item())
