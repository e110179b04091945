# Truncated backpropagation through time done right: the LSTM state is carried from one window
# to the next, detached from the previous window's graph. Correct code.
import torch
import torch.nn as nn

torch.manual_seed(0)


class Tagger(nn.Module):
    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(6, 20, batch_first=True)
        self.fc = nn.Linear(20, 2)

    def forward(self, x, state=None):
        out, state = self.lstm(x, state)
        return self.fc(out), state


model = Tagger()
opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
signal = torch.randn(4, 120, 6)
labels = (signal.sum(-1) > 0).long()

state = None
for start in range(0, 120, 15):
    logits, state = model(signal[:, start : start + 15], state)
    state = tuple(s.detach() for s in state)
    loss = nn.functional.cross_entropy(logits.reshape(-1, 2), labels[:, start : start + 15].reshape(-1))
    opt.zero_grad()
    loss.backward()
    opt.step()
    print(start, round(loss.item(), 4))
