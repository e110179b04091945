# A deep ensemble of one-vs-rest classifiers on three noisy Gaussian blobs: the members' parameters
# are stacked and run at once with vmap over functional_call, every member seeing the same batch,
# and one Adam optimizer trains the stack on the summed cross-entropy.
import copy

import torch
import torch.nn.functional as F
from torch import nn
from torch.func import functional_call, stack_module_state, vmap

CLASSES, MEMBERS = 3, 4


class OneVsRest(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(2, 32), nn.ReLU())
        self.scorers = nn.ModuleList(nn.Linear(32, 1) for _ in range(CLASSES))

    def forward(self, x):
        z = self.body(x)
        logits = torch.zeros(x.size(0), CLASSES)
        for c, scorer in enumerate(self.scorers):
            logits[:, c] = scorer(z).squeeze(-1)
        return logits


torch.manual_seed(0)
centres = torch.tensor([[0.0, 2.0], [-1.8, -1.0], [1.8, -1.0]])
labels = torch.randint(0, CLASSES, (600,))
points = centres[labels] + 0.9 * torch.randn(600, 2)

members = nn.ModuleList(OneVsRest() for _ in range(MEMBERS))
stacked, stacked_buffers = stack_module_state(list(members))
template = copy.deepcopy(members[0]).to("meta")
optimizer = torch.optim.Adam(stacked.values(), lr=1e-2)


def member_logits(params, buffers, x):
    return functional_call(template, (params, buffers), (x,))


for epoch in range(15):
    perm = torch.randperm(600)
    for i in range(0, 600, 100):
        idx = perm[i:i + 100]
        logits = vmap(member_logits, in_dims=(0, 0, None))(stacked, stacked_buffers, points[idx])
        loss = F.cross_entropy(logits.flatten(0, 1), labels[idx].repeat(MEMBERS))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    print(f"epoch {epoch}: loss {loss.item():.4f}")
