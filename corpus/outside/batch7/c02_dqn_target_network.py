"""DQN with experience replay and a soft-updated target network (PyTorch RL tutorial style)
on a small deterministic corridor environment.  Targets are computed under no_grad from the
target network; only the policy network is given to the optimizer."""
import math
import random
from collections import deque, namedtuple
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
random.seed(0)
device = "cuda" if torch.cuda.is_available() else "cpu"
Transition = namedtuple("Transition", ("state", "action", "next_state", "reward"))
N_STATES, N_ACTIONS = 8, 2
BATCH_SIZE, GAMMA, EPS_START, EPS_END, EPS_DECAY, TAU, LR = 32, 0.9, 0.9, 0.05, 200, 0.05, 1e-3


class Corridor:
    def reset(self):
        self.pos = 0
        return self.obs()

    def obs(self):
        return F.one_hot(torch.tensor(self.pos), N_STATES).float()

    def step(self, action):
        self.pos = max(0, min(N_STATES - 1, self.pos + (1 if action == 1 else -1)))
        done = self.pos == N_STATES - 1
        return self.obs(), (1.0 if done else -0.01), done


class ReplayMemory:
    def __init__(self, capacity):
        self.memory = deque([], maxlen=capacity)

    def push(self, *args):
        self.memory.append(Transition(*args))

    def sample(self, batch_size):
        return random.sample(self.memory, batch_size)

    def __len__(self):
        return len(self.memory)


class DQN(nn.Module):
    def __init__(self):
        super().__init__()
        self.layer1 = nn.Linear(N_STATES, 32)
        self.layer2 = nn.Linear(32, 32)
        self.layer3 = nn.Linear(32, N_ACTIONS)

    def forward(self, x):
        return self.layer3(F.relu(self.layer2(F.relu(self.layer1(x)))))


policy_net, target_net = DQN().to(device), DQN().to(device)
target_net.load_state_dict(policy_net.state_dict())
optimizer = torch.optim.AdamW(policy_net.parameters(), lr=LR, amsgrad=True)
memory = ReplayMemory(1000)
steps_done = 0


def select_action(state):
    global steps_done
    eps = EPS_END + (EPS_START - EPS_END) * math.exp(-1.0 * steps_done / EPS_DECAY)
    steps_done += 1
    if random.random() > eps:
        with torch.no_grad():
            return policy_net(state[None]).argmax(1).item()
    return random.randrange(N_ACTIONS)


def optimize_model():
    if len(memory) < BATCH_SIZE:
        return None
    batch = Transition(*zip(*memory.sample(BATCH_SIZE)))
    non_final_mask = torch.tensor([s is not None for s in batch.next_state], dtype=torch.bool)
    non_final_next = torch.stack([s for s in batch.next_state if s is not None])
    state_batch, action_batch = torch.stack(batch.state), torch.tensor(batch.action)[:, None]
    reward_batch = torch.tensor(batch.reward)
    state_action_values = policy_net(state_batch).gather(1, action_batch)
    next_state_values = torch.zeros(BATCH_SIZE)
    with torch.no_grad():
        next_state_values[non_final_mask] = target_net(non_final_next).max(1).values
    expected = next_state_values * GAMMA + reward_batch
    loss = F.smooth_l1_loss(state_action_values, expected[:, None])
    optimizer.zero_grad()
    loss.backward()
    torch.nn.utils.clip_grad_value_(policy_net.parameters(), 100)
    optimizer.step()
    return loss.item()


env = Corridor()
for episode in range(12):
    state, total = env.reset(), 0.0
    for t in range(30):
        action = select_action(state)
        obs, reward, done = env.step(action)
        total += reward
        memory.push(state, action, None if done else obs, reward)
        state = obs
        loss = optimize_model()
        target_sd, policy_sd = target_net.state_dict(), policy_net.state_dict()
        for key in policy_sd:
            target_sd[key] = policy_sd[key] * TAU + target_sd[key] * (1 - TAU)
        target_net.load_state_dict(target_sd)
        if done:
            break
    print(f"episode {episode}  steps {t + 1}  return {total:.2f}  loss {loss if loss is None else round(loss, 4)}")
