import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
device = "cuda" if torch.cuda.is_available() else "cpu"

N_STREAMS, WINDOW, N_FEAT, N_ACT = 8, 25, 6, 3


def make_streams(n_streams, length):
    """Continuous IMU-like streams; the activity switches every ~100 samples."""
    t = torch.arange(length).float()
    xs, ys = [], []
    for _ in range(n_streams):
        act = torch.randint(0, N_ACT, (length // 100 + 1,)).repeat_interleave(100)[:length]
        freq = torch.tensor([0.05, 0.2, 0.5])[act]
        amp = torch.tensor([0.2, 1.0, 2.0])[act]
        sig = amp[:, None] * torch.sin(freq[:, None] * t[:, None] * torch.arange(1, N_FEAT + 1))
        xs.append(sig + 0.3 * torch.randn(length, N_FEAT))
        ys.append(act)
    return torch.stack(xs), torch.stack(ys)          # (S, L, F), (S, L)


class ActivityLSTM(nn.Module):
    def __init__(self, input_len=N_FEAT, hidden_len=32, target_size=N_ACT, batch_size=N_STREAMS):
        super().__init__()
        self.hidden_len, self.batch_size = hidden_len, batch_size
        self.lstm = nn.LSTM(input_len, hidden_len, batch_first=True)
        self.hidden2class = nn.Linear(hidden_len, target_size)
        self.hidden = self.init_hidden()

    def init_hidden(self):
        return (torch.zeros(1, self.batch_size, self.hidden_len, device=device),
                torch.zeros(1, self.batch_size, self.hidden_len, device=device))

    def forward(self, x):
        lstm_out, self.hidden = self.lstm(x, self.hidden)
        return self.hidden2class(lstm_out[:, -1, :])


x_stream, y_stream = make_streams(N_STREAMS, 1500)
model = ActivityLSTM().to(device)
optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)

for epoch in range(3):
    model.hidden = model.init_hidden()          # new pass over the streams
    correct, total, running = 0, 0, 0.0
    for start in range(0, x_stream.size(1) - WINDOW + 1, WINDOW):
        x = x_stream[:, start:start + WINDOW].to(device)
        y = y_stream[:, start + WINDOW - 1].to(device)   # label at the end of the window
        logits = model(x)
        loss = F.cross_entropy(logits, y)
        optimizer.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        running += loss.item()
        correct += (logits.argmax(1) == y).sum().item()
        total += y.numel()
    print(f"epoch {epoch} loss {running / (total / N_STREAMS):.3f} acc {correct / total:.3f}")
