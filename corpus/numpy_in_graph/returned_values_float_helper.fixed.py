# Fitting a critic to fixed returns: its predictions come back from a prediction function as a
# NumPy array and go through the script's float-tensor helper on their way into the loss.
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


def as_float_tensor(array):
    return torch.from_numpy(np.asarray(array, dtype=np.float32))


def predict_values(critic, states):
    return critic(states).squeeze(-1)


def fit(critic, states, rewards, next_rewards, gamma=0.9, rounds=20):
    optimizer = torch.optim.RMSprop(critic.parameters(), lr=1e-3)
    targets = as_float_tensor(rewards + gamma * next_rewards)
    for _ in range(rounds):
        values = predict_values(critic, states)
        loss = F.mse_loss(values, targets)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return loss.item()


if __name__ == "__main__":
    torch.manual_seed(0)
    rng = np.random.RandomState(0)
    states, rewards, next_rewards = torch.randn(100, 5), rng.rand(100), rng.rand(100)
    print(fit(nn.Sequential(nn.Linear(5, 32), nn.ReLU(), nn.Linear(32, 1)), states, rewards, next_rewards))
