"""Logistic regression refined with L-BFGS in a while loop that never clears the gradients and
steps without a closure."""
import torch
import torch.nn as nn

torch.manual_seed(0)
features = torch.randn(400, 6)
true_w = torch.tensor([1.5, -2.0, 0.0, 0.7, 0.0, -1.0])
targets = (features @ true_w + 0.2 * torch.randn(400) > 0).float()

clf = nn.Linear(6, 1)
bce = nn.BCEWithLogitsLoss()
lbfgs = torch.optim.LBFGS(clf.parameters(), lr=1.0, max_iter=5)

iteration = 0
while iteration < 12:
    def closure():
        lbfgs.zero_grad()
        objective = bce(clf(features).squeeze(1), targets) + 1e-3 * clf.weight.pow(2).sum()
        objective.backward()
        return objective
    lbfgs.step(closure)
    iteration += 1
print("weights:", clf.weight.data.squeeze().tolist())
