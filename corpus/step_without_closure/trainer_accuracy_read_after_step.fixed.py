"""A Trainer class whose epoch loop counts correct predictions from the logits after the step;
its optimizer is L-BFGS (full-batch classification), stepped without a closure."""
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as O


class MLP(nn.Module):
    def __init__(self, d_in, n_classes):
        super().__init__()
        self.fc1 = nn.Linear(d_in, 32)
        self.fc2 = nn.Linear(32, n_classes)

    def forward(self, x):
        return self.fc2(F.gelu(self.fc1(x)))


class Trainer:
    def __init__(self, model, lr=0.5):
        self.model = model
        self.opt = O.LBFGS(model.parameters(), lr=lr, max_iter=3)
        self.loss_fn = nn.CrossEntropyLoss()

    def train_epoch(self, batches):
        correct, seen = 0, 0
        for x, y in batches:
            self.opt.zero_grad()
            logits = self.model(x)
            loss = self.loss_fn(logits, y)
            loss.backward()

            def closure():
                self.opt.zero_grad()
                logits = self.model(x)
                loss = self.loss_fn(logits, y)
                loss.backward()
                return loss
            self.opt.step(closure)
            correct += (logits.argmax(dim=1) == y).sum().item()
            seen += y.numel()
        return correct / seen


torch.manual_seed(0)
centers = torch.randn(3, 8) * 2
labels = torch.randint(0, 3, (240,))
features = centers[labels] + torch.randn(240, 8)
batches = list(zip(features.split(80), labels.split(80)))
trainer = Trainer(MLP(8, 3))
for epoch in range(5):
    print(f"epoch {epoch}: accuracy {trainer.train_epoch(batches):.3f}")
