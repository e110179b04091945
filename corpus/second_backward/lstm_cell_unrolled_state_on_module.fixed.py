"""A recurrent policy for a toy control task: an LSTMCell unrolled over each episode segment in
forward, its (h, c) kept on the module as two attributes so the next segment goes on from them."""
import torch
import torch.nn as nn


class RecurrentPolicy(nn.Module):
    def __init__(self, obs_dim=6, hidden=32, n_actions=3):
        super().__init__()
        self.hidden_size = hidden
        self.cell = nn.LSTMCell(obs_dim, hidden)
        self.logits = nn.Linear(hidden, n_actions)
        self.h = None
        self.c = None

    def forward(self, segment):
        if self.h is not None:
            self.h = self.h.detach()
        if self.c is not None:
            self.c = self.c.detach()
        if self.h is None:
            self.h = torch.zeros(segment.size(1), self.hidden_size)
            self.c = torch.zeros(segment.size(1), self.hidden_size)
        outputs = []
        for obs in segment:
            self.h, self.c = self.cell(obs, (self.h, self.c))
            outputs.append(self.logits(self.h))
        return torch.stack(outputs)


torch.manual_seed(3)
policy = RecurrentPolicy()
optimizer = torch.optim.RMSprop(policy.parameters(), lr=1e-3)
episode = torch.randn(60, 8, 6)
expert = episode[..., :3].argmax(dim=-1)
for segment_start in range(0, 60, 10):
    segment = episode[segment_start : segment_start + 10]
    logits = policy(segment)
    loss = nn.functional.cross_entropy(logits.reshape(-1, 3), expert[segment_start : segment_start + 10].reshape(-1))
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    print(segment_start, round(loss.item(), 4))
