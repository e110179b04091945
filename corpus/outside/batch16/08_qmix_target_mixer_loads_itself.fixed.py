# Report: https://github.com/thesouther/MARL/issues/8
# In the QMIX policy the periodic target update copies the agent network correctly, but the mixing
# network line loads target_qmix_net's own state_dict, so the target mixer never receives the trained weights.
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


class Config:
    n_agents = 3
    n_actions = 5
    obs_shape = 10
    state_shape = 16
    episode_limit = 6
    drqn_hidden_dim = 32
    qmix_hidden_dim = 16
    hyper_hidden_dim = 32
    gamma = 0.99
    learning_rate = 5e-4
    grad_norm_clip = 10
    batch_size = 8
    train_steps = 40
    update_target_params = 10
    seed = 0


class DRQN(nn.Module):
    def __init__(self, input_shape, conf):
        super().__init__()
        self.conf = conf
        self.fc1 = nn.Linear(input_shape, conf.drqn_hidden_dim)
        self.rnn = nn.GRUCell(conf.drqn_hidden_dim, conf.drqn_hidden_dim)
        self.fc2 = nn.Linear(conf.drqn_hidden_dim, conf.n_actions)

    def forward(self, obs, hidden_state):
        x = F.relu(self.fc1(obs))
        h_in = hidden_state.reshape(-1, self.conf.drqn_hidden_dim)
        h = self.rnn(x, h_in)
        return self.fc2(h), h


class QMIXNET(nn.Module):
    def __init__(self, conf):
        super().__init__()
        self.conf = conf
        self.hyper_w1 = nn.Sequential(nn.Linear(conf.state_shape, conf.hyper_hidden_dim), nn.ReLU(),
                                      nn.Linear(conf.hyper_hidden_dim, conf.n_agents * conf.qmix_hidden_dim))
        self.hyper_w2 = nn.Sequential(nn.Linear(conf.state_shape, conf.hyper_hidden_dim), nn.ReLU(),
                                      nn.Linear(conf.hyper_hidden_dim, conf.qmix_hidden_dim))
        self.hyper_b1 = nn.Linear(conf.state_shape, conf.qmix_hidden_dim)
        self.hyper_b2 = nn.Sequential(nn.Linear(conf.state_shape, conf.qmix_hidden_dim), nn.ReLU(),
                                      nn.Linear(conf.qmix_hidden_dim, 1))

    def forward(self, q_values, states):
        episode_num = q_values.size(0)
        q_values = q_values.view(-1, 1, self.conf.n_agents)
        states = states.reshape(-1, self.conf.state_shape)
        w1 = torch.abs(self.hyper_w1(states)).view(-1, self.conf.n_agents, self.conf.qmix_hidden_dim)
        b1 = self.hyper_b1(states).view(-1, 1, self.conf.qmix_hidden_dim)
        hidden = F.elu(torch.bmm(q_values, w1) + b1)
        w2 = torch.abs(self.hyper_w2(states)).view(-1, self.conf.qmix_hidden_dim, 1)
        b2 = self.hyper_b2(states).view(-1, 1, 1)
        return (torch.bmm(hidden, w2) + b2).view(episode_num, -1, 1)


class QMIX:
    def __init__(self, conf):
        self.conf = conf
        input_shape = conf.obs_shape + conf.n_agents  # obs + agent id (reuse_network)
        self.eval_drqn_net = DRQN(input_shape, conf)
        self.target_drqn_net = DRQN(input_shape, conf)
        self.eval_qmix_net = QMIXNET(conf)
        self.target_qmix_net = QMIXNET(conf)
        # copy eval net params to target net
        self.target_drqn_net.load_state_dict(self.eval_drqn_net.state_dict())
        self.target_qmix_net.load_state_dict(self.eval_qmix_net.state_dict())
        self.eval_parameters = list(self.eval_qmix_net.parameters()) + list(self.eval_drqn_net.parameters())
        self.optimizer = torch.optim.RMSprop(self.eval_parameters, lr=conf.learning_rate)

    def _inputs(self, obs):
        ep = obs.shape[0]
        ids = torch.eye(self.conf.n_agents).unsqueeze(0).expand(ep, -1, -1)
        return torch.cat([obs, ids], dim=-1).reshape(ep * self.conf.n_agents, -1)

    def get_q_values(self, batch):
        ep = batch["o"].shape[0]
        h_eval = torch.zeros(ep, self.conf.n_agents, self.conf.drqn_hidden_dim)
        h_target = torch.zeros_like(h_eval)
        q_evals, q_targets = [], []
        for t in range(self.conf.episode_limit):
            q_eval, h_eval = self.eval_drqn_net(self._inputs(batch["o"][:, t]), h_eval)
            with torch.no_grad():
                q_target, h_target = self.target_drqn_net(self._inputs(batch["o_"][:, t]), h_target)
            q_evals.append(q_eval.view(ep, self.conf.n_agents, -1))
            q_targets.append(q_target.view(ep, self.conf.n_agents, -1))
        return torch.stack(q_evals, dim=1), torch.stack(q_targets, dim=1)

    def learn(self, batch, train_step):
        q_evals, q_targets = self.get_q_values(batch)
        q_evals = torch.gather(q_evals, dim=3, index=batch["u"]).squeeze(3)
        q_targets = q_targets.max(dim=3)[0]
        q_total_eval = self.eval_qmix_net(q_evals, batch["s"])
        with torch.no_grad():
            q_total_target = self.target_qmix_net(q_targets, batch["s_"])
        targets = batch["r"] + self.conf.gamma * q_total_target * (1 - batch["terminated"])
        mask = 1 - batch["padded"]
        td_error = mask * (q_total_eval - targets.detach())
        loss = (td_error ** 2).sum() / mask.sum()
        self.optimizer.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(self.eval_parameters, self.conf.grad_norm_clip)
        self.optimizer.step()

        if train_step > 0 and train_step % self.conf.update_target_params == 0:
            self.target_drqn_net.load_state_dict(self.eval_drqn_net.state_dict())
            self.target_qmix_net.load_state_dict(self.eval_qmix_net.state_dict())
        return loss.item()


def sample_batch(conf, rng):
    B, T, N = conf.batch_size, conf.episode_limit, conf.n_agents
    padded = np.zeros((B, T, 1), dtype=np.float32)
    for b in range(B):
        padded[b, rng.randint(3, T + 1):] = 1.0
    batch = {
        "o": rng.randn(B, T, N, conf.obs_shape), "o_": rng.randn(B, T, N, conf.obs_shape),
        "s": rng.randn(B, T, conf.state_shape), "s_": rng.randn(B, T, conf.state_shape),
        "u": rng.randint(0, conf.n_actions, (B, T, N, 1)), "r": rng.randn(B, T, 1),
        "terminated": (rng.rand(B, T, 1) < 0.1), "padded": padded,
    }
    return {k: torch.tensor(v, dtype=torch.long if k == "u" else torch.float32) for k, v in batch.items()}


if __name__ == "__main__":
    conf = Config()
    torch.manual_seed(conf.seed)
    rng = np.random.RandomState(conf.seed)
    policy = QMIX(conf)
    for train_step in range(conf.train_steps):
        loss = policy.learn(sample_batch(conf, rng), train_step)
        if train_step % 10 == 0:
            print(f"train_step {train_step} loss {loss:.4f}")
