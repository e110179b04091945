# Accumulation longer than an epoch, on purpose: a tiny dataset (6 batches per epoch) and an
# effective batch of 8 batches, counted by a global step that runs across epochs, so updates come
# at the 8th, 16th, ... batch whatever the epoch.
import torch
import torch.nn as nn
from torch.utils.data import DataLoader, TensorDataset


def main(epochs=4, accum=8):
    torch.manual_seed(0)
    x = torch.randn(48, 6)
    y = x @ torch.randn(6, 2)
    loader = DataLoader(TensorDataset(x, y), batch_size=8)
    model = nn.Sequential(nn.Linear(6, 16), nn.SiLU(), nn.Linear(16, 2))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)

    global_step = 0
    optimizer.zero_grad()
    for epoch in range(epochs):
        for xb, yb in loader:
            loss = nn.functional.mse_loss(model(xb), yb) / accum
            loss.backward()
            global_step += 1
            if global_step % accum == 0:
                optimizer.step()
                optimizer.zero_grad()
        print(f"epoch {epoch}: step {global_step // accum}, loss {loss.item() * accum:.4f}")


if __name__ == "__main__":
    main()
