# A trainer sets the classifier's bias from the class priors when fit() starts (a common trick
# for imbalanced data), by assigning a new nn.Parameter: the optimizer, built in __init__, keeps
# stepping the bias the model no longer uses.
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)


class Classifier(nn.Module):
    def __init__(self, features, classes):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(features, 32), nn.ReLU())
        self.out = nn.Linear(32, classes)

    def forward(self, x):
        return self.out(self.body(x))


class Trainer:
    def __init__(self, model, lr=0.05):
        self.model = model
        self.optimizer = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9)

    def _bias_from_priors(self, labels, classes):
        counts = torch.bincount(labels, minlength=classes).float()
        priors = counts / counts.sum()
        self.model.out.bias.data.copy_(torch.log(priors))

    def fit(self, x, y, epochs=4, batch=32):
        self._bias_from_priors(y, self.model.out.out_features)
        for epoch in range(epochs):
            for i in range(0, len(x), batch):
                self.optimizer.zero_grad()
                loss = F.cross_entropy(self.model(x[i:i + batch]), y[i:i + batch])
                loss.backward()
                self.optimizer.step()
        return loss.item()


x = torch.randn(256, 12)
y = (x[:, 0] > 0.8).long() + (x[:, 1] > 1.2).long()
trainer = Trainer(Classifier(12, 3))
print(trainer.fit(x, y))
