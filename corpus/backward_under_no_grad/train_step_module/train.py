import torch
import torch.nn as nn

from trainer import evaluate, train_step


class TinyConv(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv1d(1, 4, kernel_size=3, padding=1)
        self.fc = nn.Linear(4 * 16, 1)

    def forward(self, x):
        h = torch.relu(self.conv(x))
        return self.fc(h.flatten(1))


def main():
    torch.manual_seed(0)
    x_train = torch.randn(48, 1, 16)
    y_train = x_train.mean(dim=2)
    x_val = torch.randn(12, 1, 16)
    y_val = x_val.mean(dim=2)

    model = TinyConv()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05)
    loss_fn = nn.MSELoss()

    for epoch in range(5):
        train_loss = train_step(model, x_train, y_train, optimizer, loss_fn)
        val_loss = evaluate(model, x_val, y_val, loss_fn)
        print(f"epoch {epoch}: train {train_loss:.4f} val {val_loss:.4f}")


if __name__ == "__main__":
    main()
