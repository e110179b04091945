# Report: https://github.com/leggedrobotics/rsl_rl/pull/94
# "Adds the RNN parameters to the optimizer for Distillation": the recurrent student's memory
# (memory_s) is used in act() but the Distillation optimizer is built from
# policy.student.parameters() only, so the student RNN never trains.
import torch
import torch.nn as nn

torch.manual_seed(0)
device = "cuda" if torch.cuda.is_available() else "cpu"

train_cfg = {"policy": {"student_hidden_dims": [64, 64], "teacher_hidden_dims": [64, 64], "rnn_hidden_size": 32},
             "algorithm": {"num_learning_epochs": 2, "learning_rate": 1e-3, "gradient_length": 8},
             "num_envs": 16, "num_steps_per_env": 24, "num_obs": 12, "num_privileged_obs": 20, "num_actions": 4}


def mlp(in_dim, hidden, out_dim):
    layers, d = [], in_dim
    for h in hidden:
        layers += [nn.Linear(d, h), nn.ELU()]
        d = h
    return nn.Sequential(*layers, nn.Linear(d, out_dim))


class Memory(nn.Module):
    def __init__(self, input_size, hidden_size):
        super().__init__()
        self.rnn = nn.GRU(input_size, hidden_size)
        self.hidden_states = None

    def forward(self, x):
        out, self.hidden_states = self.rnn(x.unsqueeze(0), self.hidden_states)
        return out.squeeze(0)

    def reset(self, dones=None):
        if self.hidden_states is not None and dones is not None:
            self.hidden_states[..., dones.bool(), :] = 0.0

    def detach_hidden_states(self):
        if self.hidden_states is not None:
            self.hidden_states = self.hidden_states.detach()


class StudentTeacherRecurrent(nn.Module):
    def __init__(self, num_obs, num_priv, num_actions, cfg):
        super().__init__()
        self.memory_s = Memory(num_obs, cfg["rnn_hidden_size"])
        self.student = mlp(cfg["rnn_hidden_size"], cfg["student_hidden_dims"], num_actions)
        self.memory_t = Memory(num_priv, cfg["rnn_hidden_size"])
        self.teacher = mlp(cfg["rnn_hidden_size"], cfg["teacher_hidden_dims"], num_actions)
        for p in list(self.teacher.parameters()) + list(self.memory_t.parameters()):
            p.requires_grad_(False)  # teacher is loaded from a trained PPO run and stays fixed

    def act(self, obs):
        return self.student(self.memory_s(obs))

    def evaluate(self, teacher_obs):
        with torch.no_grad():
            return self.teacher(self.memory_t(teacher_obs))

    def reset(self, dones=None):
        self.memory_s.reset(dones)
        self.memory_t.reset(dones)


class Distillation:
    def __init__(self, policy, num_learning_epochs, learning_rate, gradient_length):
        self.policy = policy
        self.num_learning_epochs = num_learning_epochs
        self.gradient_length = gradient_length
        self.optimizer = torch.optim.Adam(self.policy.student.parameters(), lr=learning_rate)
        self.loss_fn = nn.MSELoss()

    def update(self, rollout):
        mean_loss = 0.0
        for _ in range(self.num_learning_epochs):
            self.policy.reset()
            self.policy.memory_s.hidden_states = None
            loss, cnt = 0.0, 0
            for obs, teacher_actions, dones in rollout:
                actions = self.policy.act(obs)
                loss = loss + self.loss_fn(actions, teacher_actions)
                cnt += 1
                if cnt % self.gradient_length == 0:
                    self.optimizer.zero_grad()
                    loss.backward()
                    self.optimizer.step()
                    self.policy.memory_s.detach_hidden_states()
                    mean_loss += loss.item()
                    loss = 0.0
                self.policy.memory_s.reset(dones)
        return mean_loss


class FakeEnv:
    def __init__(self, n, num_obs, num_priv):
        self.n, self.num_obs, self.num_priv = n, num_obs, num_priv
        self.state = torch.randn(n, num_priv)

    def step(self):
        self.state = 0.9 * self.state + 0.1 * torch.randn_like(self.state)
        dones = (torch.rand(self.n) < 0.02).float()
        return self.state[:, :self.num_obs].clone(), self.state.clone(), dones


policy = StudentTeacherRecurrent(train_cfg["num_obs"], train_cfg["num_privileged_obs"], train_cfg["num_actions"],
                                 train_cfg["policy"]).to(device)
alg = Distillation(policy, **train_cfg["algorithm"])
env = FakeEnv(train_cfg["num_envs"], train_cfg["num_obs"], train_cfg["num_privileged_obs"])

for it in range(3):
    rollout = []
    policy.reset()
    for _ in range(train_cfg["num_steps_per_env"]):
        obs, priv_obs, dones = env.step()
        rollout.append((obs.to(device), policy.evaluate(priv_obs.to(device)), dones.to(device)))
        policy.reset(dones)
    print(f"iteration {it} behavior loss {alg.update(rollout):.4f}")
