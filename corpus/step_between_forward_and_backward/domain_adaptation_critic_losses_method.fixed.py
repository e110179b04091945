"""Adversarial domain adaptation on two shifted gaussian blobs: a domain critic tells source
features from target features, and the feature extractor learns to fool it while classifying the
labelled source data."""
import torch
from torch import nn, optim

torch.manual_seed(0)


def make_domain(n, shift):
    y = torch.randint(0, 2, (n,))
    x = torch.randn(n, 6) + (y.float() * 2 - 1).unsqueeze(1) + shift
    return x, y


class DomainAdapter(nn.Module):
    def __init__(self, hidden=32):
        super().__init__()
        self.features = nn.Sequential(nn.Linear(6, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU())
        self.classifier = nn.Linear(hidden, 2)
        self.critic = nn.Sequential(nn.Linear(hidden, 16), nn.ReLU(), nn.Linear(16, 1))
        self.model_opt = optim.SGD(
            list(self.features.parameters()) + list(self.classifier.parameters()), lr=0.05, momentum=0.9
        )
        self.critic_opt = optim.SGD(self.critic.parameters(), lr=0.05, momentum=0.9)
        self.bce, self.ce = nn.BCEWithLogitsLoss(), nn.CrossEntropyLoss()

    def losses(self, xs, ys, xt):
        fs, ft = self.features(xs), self.features(xt)
        logits = self.classifier(fs)
        domain_logits = self.critic(torch.cat([fs, ft]).detach())
        domains = torch.cat([torch.ones(len(fs), 1), torch.zeros(len(ft), 1)])
        critic_loss = self.bce(domain_logits, domains)
        self.critic_opt.zero_grad()
        critic_loss.backward()
        self.critic_opt.step()
        confusion = self.bce(self.critic(ft), torch.ones(len(ft), 1))
        task_loss = self.ce(logits, ys) + 0.3 * confusion
        accuracy = (logits.argmax(1) == ys).float().mean()
        return task_loss, critic_loss, accuracy

    def update(self, task_loss, critic_loss):
        self.model_opt.zero_grad()
        task_loss.backward()
        self.model_opt.step()


def main():
    xs, ys = make_domain(512, shift=0.0)
    xt, _ = make_domain(512, shift=1.5)
    adapter = DomainAdapter()
    for step in range(60):
        idx = torch.randint(0, 512, (64,))
        task_loss, critic_loss, acc = adapter.losses(xs[idx], ys[idx], xt[idx])
        adapter.update(task_loss, critic_loss)
        if step % 20 == 0:
            print(f"step {step}: task {task_loss.item():.3f} critic {critic_loss.item():.3f} acc {acc.item():.2f}")


if __name__ == "__main__":
    main()
