"""First-order MAML (FOMAML) with torch.func.functional_call: the inner gradients are taken
without create_graph and detached, and the pre-adaptation accuracy is measured with the model's
own parameters under no_grad. Correct: every adapted forward gets the adapted dict."""
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.func import functional_call


def episode(n_way=3, shots=5, dim=12):
    centres = torch.randn(n_way, dim) * 2
    labels = torch.arange(n_way).repeat(2 * shots)
    x = centres[labels] + torch.randn(len(labels), dim)
    half = len(labels) // 2
    return x[:half], labels[:half], x[half:], labels[half:]


torch.manual_seed(4)
net = nn.Sequential(nn.Linear(12, 40), nn.ReLU(), nn.Linear(40, 3))
meta_opt = torch.optim.Adam(net.parameters(), lr=1e-3)
for step in range(20):
    xs, ys, xq, yq = episode()
    with torch.no_grad():
        own = dict(net.named_parameters())
        before = (functional_call(net, own, (xq,)).argmax(1) == yq).float().mean()
    fast = dict(net.named_parameters())
    for _ in range(3):
        loss = F.cross_entropy(functional_call(net, fast, (xs,)), ys)
        grads = torch.autograd.grad(loss, list(fast.values()))
        fast = {name: w - 0.1 * g.detach() for (name, w), g in zip(fast.items(), grads)}
    query_loss = F.cross_entropy(functional_call(net, fast, (xq,)), yq)
    meta_opt.zero_grad()
    query_loss.backward()
    meta_opt.step()
    if step % 5 == 0:
        print(f"step {step}: accuracy before adaptation {before:.2f}, query loss {query_loss.item():.3f}")
