import torch


class PolicyHead(torch.nn.Module):
    """Maps an observation to action logits; the value estimate comes from a shared trunk."""

    def __init__(self):
        torch.nn.Module.__init__(self)
        self.trunk = torch.nn.Sequential(torch.nn.Linear(6, 32), torch.nn.Tanh())
        self.policy = torch.nn.Linear(32, 4)
        self.value = torch.nn.Linear(32, 1)

    def forward(self, obs):
        features = self.trunk(obs)
        return self.policy(features), self.value(features).squeeze(-1)


torch.manual_seed(11)
agent = PolicyHead()
optimizer = torch.optim.RMSprop(
    [
        {"params": agent.parameters(), "lr": 7e-4},
    ],
    alpha=0.99,
    eps=1e-5,
)
obs = torch.randn(64, 6)
actions = torch.randint(0, 4, (64,))
returns = torch.randn(64)
for update in range(8):
    logits, values = agent(obs)
    advantage = returns - values.detach()
    log_probs = torch.log_softmax(logits, dim=-1).gather(1, actions[:, None]).squeeze(1)
    loss = -(log_probs * advantage).mean() + 0.5 * (returns - values).pow(2).mean()
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    print(update, round(loss.item(), 4))
