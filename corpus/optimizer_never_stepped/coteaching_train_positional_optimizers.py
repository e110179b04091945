"""Co-teaching (Han et al., 2018) on noisy labels: two networks, each trained on the samples the
other one finds easiest. train() takes both networks and both optimizers; one helper steps either."""
import torch
import torch.nn as nn
import torch.nn.functional as F

NOISE_RATE = 0.3


def make_data(n, generator):
    x = torch.randn(n, 20, generator=generator)
    clean = (x[:, :5].sum(1) > 0).long()
    flip = torch.rand(n, generator=generator) < NOISE_RATE
    return x, torch.where(flip, 1 - clean, clean)


def mlp():
    return nn.Sequential(nn.Linear(20, 64), nn.ReLU(), nn.Dropout(0.1), nn.Linear(64, 2))


def loss_coteaching(logits1, logits2, labels, forget_rate):
    """Each network keeps the (1 - forget_rate) samples with the smallest loss for the other."""
    loss1 = F.cross_entropy(logits1, labels, reduction="none")
    loss2 = F.cross_entropy(logits2, labels, reduction="none")
    keep = int((1 - forget_rate) * len(labels))
    idx1 = torch.argsort(loss1.detach())[:keep]
    idx2 = torch.argsort(loss2.detach())[:keep]
    return F.cross_entropy(logits1[idx2], labels[idx2]), F.cross_entropy(logits2[idx1], labels[idx1])


def optimizer_step(loss, optimizer):
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()


def train(loader, epoch, model1, optimizer1, model2, optimizer2, forget_rate):
    model1.train()
    model2.train()
    for xb, yb in loader:
        loss_1, loss_2 = loss_coteaching(model1(xb), model2(xb), yb, forget_rate)
        optimizer_step(loss_1, optimizer1)
        optimizer_step(loss_2, optimizer2)
    print(f"epoch {epoch}: loss_1 {loss_1.item():.3f} loss_2 {loss_2.item():.3f}")


def main():
    g = torch.Generator().manual_seed(0)
    torch.manual_seed(0)
    x, y = make_data(1024, g)
    train_loader = [(x[i:i + 128], y[i:i + 128]) for i in range(0, 1024, 128)]
    cnn1, cnn2 = mlp(), mlp()
    optimizer1 = torch.optim.Adam(cnn1.parameters(), lr=1e-3)
    optimizer2 = torch.optim.Adam(cnn2.parameters(), lr=1e-3)
    for epoch in range(10):
        forget_rate = NOISE_RATE * min(epoch / 5, 1.0)
        train(train_loader, epoch, cnn1, optimizer1, cnn2, optimizer1, forget_rate)


if __name__ == "__main__":
    main()
