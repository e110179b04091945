# A frozen random projection feeds a classifier; after the first epochs a second classifier
# is added and the trainer refreshes every group with the model's parameters as a list. The
# projection stays frozen, as built: the optimizer was first given only what requires grad.
import torch
import torch.nn as nn

torch.manual_seed(0)


class Trainer:
    def __init__(self):
        self.projection = nn.Linear(12, 32)
        for p in self.projection.parameters():
            p.requires_grad = False
        self.model = nn.ModuleDict({"projection": self.projection, "cls": nn.Linear(32, 1)})
        self.optimizer = torch.optim.SGD(filter(lambda p: p.requires_grad, self.model.parameters()), lr=0.05)

    def add_classifier(self):
        self.model["cls2"] = nn.Linear(32, 1)
        for group in self.optimizer.param_groups:
            group["params"] = [p for p in self.model.parameters()]

    def loss(self, x, y):
        h = torch.relu(self.model["projection"](x))
        out = self.model["cls"](h)
        if "cls2" in self.model:
            out = out + self.model["cls2"](h)
        return nn.functional.binary_cross_entropy_with_logits(out, y)

    def fit(self, x, y, epochs):
        for epoch in range(epochs):
            if epoch == 2:
                self.add_classifier()
            for i in range(0, len(x), 16):
                self.optimizer.zero_grad()
                loss = self.loss(x[i:i + 16], y[i:i + 16])
                loss.backward()
                self.optimizer.step()
        return loss.item()


x = torch.randn(64, 12)
y = (x[:, 0] > 0).float().unsqueeze(1)
print(Trainer().fit(x, y, epochs=4))
