"""Linear probe with SAM: a loaded, frozen feature extractor and a new classifier; SAM (wrapping
SGD) is given the classifier only, on purpose."""
import torch
import torch.nn as nn
import torch.nn.functional as F


class SAM(torch.optim.Optimizer):
    def __init__(self, params, base_optimizer, rho=0.05, **kwargs):
        super().__init__(params, dict(rho=rho, **kwargs))
        self.base_optimizer = base_optimizer(self.param_groups, **kwargs)
        self.param_groups = self.base_optimizer.param_groups

    @torch.no_grad()
    def first_step(self):
        norm = torch.norm(torch.stack([p.grad.norm() for g in self.param_groups for p in g["params"] if p.grad is not None]))
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is not None:
                    self.state[p]["e_w"] = p.grad * group["rho"] / (norm + 1e-12)
                    p.add_(self.state[p]["e_w"])
        self.zero_grad()

    @torch.no_grad()
    def second_step(self):
        for group in self.param_groups:
            for p in group["params"]:
                if "e_w" in self.state[p]:
                    p.sub_(self.state[p]["e_w"])
        self.base_optimizer.step()
        self.zero_grad()


torch.manual_seed(2)
pretrained = nn.Sequential(nn.Linear(24, 48), nn.ReLU(), nn.Linear(48, 48), nn.ReLU())
features = nn.Sequential(nn.Linear(24, 48), nn.ReLU(), nn.Linear(48, 48), nn.ReLU())
features.load_state_dict(pretrained.state_dict())
features.requires_grad_(False)
classifier = nn.Linear(48, 3)
optimizer = SAM(classifier.parameters(), torch.optim.SGD, rho=0.1, lr=0.05, momentum=0.9)

x = torch.randn(180, 24)
y = torch.randint(0, 3, (180,))
for epoch in range(3):
    for i in range(0, 180, 30):
        xb, yb = x[i:i + 30], y[i:i + 30]
        F.cross_entropy(classifier(features(xb)), yb).backward()
        optimizer.first_step()
        F.cross_entropy(classifier(features(xb)), yb).backward()
        optimizer.second_step()
    print("epoch", epoch)
