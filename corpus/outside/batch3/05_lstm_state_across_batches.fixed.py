# Report: https://github.com/sgadgil6/cnslab_fmri/issues/4
# Summary: the LSTM (h, c) state is kept on the module and fed to the next batch without detaching, so the second backward() goes through a freed graph (crash).
# Fixed: do not carry the LSTM state (and its graph) from one batch to the next.
import torch
import torch.nn as nn
from torch.utils.data import DataLoader, TensorDataset

BATCH = 32


class FMRILSTM(nn.Module):
    def __init__(self, input_dim, hidden_dim):
        super().__init__()
        self.hidden_dim = hidden_dim
        self.lstm = nn.LSTM(input_dim, hidden_dim, num_layers=1, batch_first=True)
        self.dropout = nn.Dropout(0.2)
        self.linear = nn.Linear(hidden_dim, 1)
        self.hidden = self.init_hidden()

    def init_hidden(self):
        return (torch.zeros(1, BATCH, self.hidden_dim), torch.zeros(1, BATCH, self.hidden_dim))

    def forward(self, x):
        lstm_out, _ = self.lstm(x)  # windows are independent: start every batch from a zero state
        last = self.dropout(lstm_out[:, -1, :])
        return torch.sigmoid(self.linear(last)).squeeze(1)


class Trainer:
    def __init__(self, model, lr=1e-3):
        self.model = model
        self.criterion = nn.BCELoss()
        self.optimizer = torch.optim.Adam(model.parameters(), lr=lr)

    def train_epoch(self, loader):
        self.model.train()
        losses = []
        for windows, labels in loader:
            self.optimizer.zero_grad()
            probs = self.model(windows)
            loss = self.criterion(probs, labels)
            loss.backward()
            self.optimizer.step()
            losses.append(loss.item())
        return sum(losses) / len(losses)


if __name__ == "__main__":
    torch.manual_seed(5)
    # one window of 20 time points x 16 regions per subject; subjects are independent
    windows = torch.randn(320, 20, 16)
    labels = (windows[:, :, 0].mean(dim=1) > 0).float()
    loader = DataLoader(TensorDataset(windows, labels), batch_size=BATCH, shuffle=True, drop_last=True)
    trainer = Trainer(FMRILSTM(input_dim=16, hidden_dim=32))
    for epoch in range(4):
        print(f"epoch {epoch}: bce {trainer.train_epoch(loader):.4f}")
