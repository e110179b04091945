"""Domain-adversarial training (DANN-style) on two synthetic domains: a feature extractor and a
label classifier trained on the source domain, and a domain classifier that tells the domains
apart. A Trainer object holds the models and their two optimizers."""
import torch
import torch.nn as nn
import torch.nn.functional as F


def domain(n, shift, generator):
    x = torch.randn(n, 10, generator=generator)
    y = (x[:, 0] + x[:, 1] > 0).long()
    return x + shift, y


class Trainer:
    def __init__(self, features, classifier, domain_clf, lam=0.1):
        self.features = features
        self.classifier = classifier
        self.domain_clf = domain_clf
        self.lam = lam
        self.opt_main = torch.optim.SGD(
            list(features.parameters()) + list(classifier.parameters()), lr=0.05, momentum=0.9
        )
        self.opt_domain = torch.optim.Adam(domain_clf.parameters(), lr=1e-3)

    def _optimize(self, loss, optimizer):
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()

    def train_batch(self, xs, ys, xt):
        feat_s, feat_t = self.features(xs), self.features(xt)
        feats = torch.cat([feat_s, feat_t])
        domains = torch.cat([torch.zeros(len(xs)), torch.ones(len(xt))])

        # the domain classifier learns to tell source from target on frozen features
        dom_loss = F.binary_cross_entropy_with_logits(self.domain_clf(feats.detach()).squeeze(1), domains)
        self._optimize(dom_loss, self.opt_main)

        # the feature extractor learns the task and to fool the domain classifier
        task_loss = F.cross_entropy(self.classifier(feat_s), ys)
        confusion = F.binary_cross_entropy_with_logits(self.domain_clf(feats).squeeze(1), 1 - domains)
        self._optimize(task_loss + self.lam * confusion, self.opt_main)
        return task_loss.item(), dom_loss.item()


def main():
    g = torch.Generator().manual_seed(0)
    torch.manual_seed(0)
    xs, ys = domain(512, 0.0, g)
    xt, _ = domain(512, 1.5, g)
    trainer = Trainer(
        nn.Sequential(nn.Linear(10, 32), nn.ReLU(), nn.Linear(32, 16), nn.ReLU()),
        nn.Linear(16, 2),
        nn.Sequential(nn.Linear(16, 16), nn.ReLU(), nn.Linear(16, 1)),
    )
    for epoch in range(5):
        for i in range(0, 512, 64):
            task, dom = trainer.train_batch(xs[i:i + 64], ys[i:i + 64], xt[i:i + 64])
        print(f"epoch {epoch}: task {task:.3f} domain {dom:.3f}")


if __name__ == "__main__":
    main()
