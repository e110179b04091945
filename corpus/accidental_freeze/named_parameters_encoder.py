import torch
import torch.nn as nn
import torch.optim as optim
from torch.utils.data import DataLoader, TensorDataset


class SeqModel(nn.Module):
    def __init__(self, in_dim=4, hidden=16, out_dim=1):
        super().__init__()
        self.encoder = nn.GRU(in_dim, hidden, batch_first=True)
        self.decoder = nn.Linear(hidden, out_dim)

    def forward(self, x):
        _, h = self.encoder(x)
        return self.decoder(h[-1])


def main():
    torch.manual_seed(0)
    device = "cpu"
    seqs = torch.randn(96, 10, 4)
    target = seqs[:, :, 0].mean(dim=1, keepdim=True)
    loader = DataLoader(TensorDataset(seqs, target), batch_size=16)

    model = SeqModel().to(device)
    # encoder weights stay at their init
    # (only the decoder is fitted)
    for _, param in model.encoder.named_parameters():
        param.requires_grad = False

    optimizer = optim.RMSprop(model.parameters(), lr=1e-3)
    loss_fn = nn.MSELoss()

    for epoch in range(2):
        for xb, yb in loader:
            xb, yb = xb.to(device), yb.to(device)
            optimizer.zero_grad()
            loss = loss_fn(model(xb), yb)
            loss.backward()
            optimizer.step()
        print(f"epoch {epoch}: {loss.item():.4f}")


if __name__ == "__main__":
    main()
