"""Dreamer (world model + actor-critic in imagination), vector-observation version.
World model: encoder, RSSM, observation and reward decoders; behaviour: value and action models.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.distributions import Normal, kl_divergence
from torch.nn.utils import clip_grad_norm_

torch.manual_seed(0)

OBS_DIM, ACTION_DIM, STATE_DIM, RNN_HIDDEN_DIM, EMBED_DIM = 12, 2, 30, 32, 32


class Args:
    chunk_length, batch_size, imagination_horizon = 10, 16, 8
    gamma, lambda_, free_nats, clip_grad_norm = 0.9, 0.95, 0.1, 100.0
    model_lr, value_lr, action_lr, eps = 6e-4, 8e-5, 8e-5, 1e-4
    update_steps = 6


def mlp(inp, out, hidden=64):
    return nn.Sequential(nn.Linear(inp, hidden), nn.ELU(), nn.Linear(hidden, hidden), nn.ELU(), nn.Linear(hidden, out))


class RecurrentStateSpaceModel(nn.Module):
    def __init__(self, hidden_dim=64, min_stddev=0.1):
        super().__init__()
        self.fc_state_action = nn.Linear(STATE_DIM + ACTION_DIM, hidden_dim)
        self.rnn = nn.GRUCell(hidden_dim, RNN_HIDDEN_DIM)
        self.fc_prior = nn.Linear(RNN_HIDDEN_DIM, 2 * STATE_DIM)
        self.fc_posterior = nn.Linear(RNN_HIDDEN_DIM + EMBED_DIM, 2 * STATE_DIM)
        self._min_stddev = min_stddev

    def _dist(self, out):
        return Normal(out[:, :STATE_DIM], F.softplus(out[:, STATE_DIM:]) + self._min_stddev)

    def prior(self, state, action, rnn_hidden):
        hidden = F.elu(self.fc_state_action(torch.cat([state, action], dim=1)))
        rnn_hidden = self.rnn(hidden, rnn_hidden)
        return self._dist(self.fc_prior(rnn_hidden)), rnn_hidden

    def forward(self, state, action, rnn_hidden, embedded_next_obs):
        next_state_prior, rnn_hidden = self.prior(state, action, rnn_hidden)
        next_state_posterior = self._dist(self.fc_posterior(torch.cat([rnn_hidden, embedded_next_obs], dim=1)))
        return next_state_prior, next_state_posterior, rnn_hidden


class ActionModel(nn.Module):
    def __init__(self, init_stddev=5.0):
        super().__init__()
        self.net = mlp(STATE_DIM + RNN_HIDDEN_DIM, 2 * ACTION_DIM)
        self.init_stddev = torch.log(torch.exp(torch.tensor(init_stddev)) - 1)

    def forward(self, state, rnn_hidden):
        mean, std = self.net(torch.cat([state, rnn_hidden], dim=1)).chunk(2, dim=-1)
        mean = 5.0 * torch.tanh(mean / 5.0)
        return torch.tanh(Normal(mean, F.softplus(std + self.init_stddev) + 1e-4).rsample())


def lambda_target(rewards, values, gamma, lambda_):
    targets = [values[-1]]
    for t in reversed(range(rewards.shape[0] - 1)):
        targets.append(rewards[t + 1] + gamma * ((1 - lambda_) * values[t + 1] + lambda_ * targets[-1]))
    return torch.stack(targets[::-1])


def sample_replay(args):
    proj = torch.linspace(-1, 1, 4 * OBS_DIM).view(4, OBS_DIM)
    pos, vel = torch.randn(args.batch_size, 2), torch.zeros(args.batch_size, 2)
    obs, actions, rewards = [], [], []
    for _ in range(args.chunk_length):
        a = torch.rand(args.batch_size, ACTION_DIM) * 2 - 1
        vel = 0.9 * vel + 0.1 * a
        pos = pos + vel
        obs.append(torch.cat([pos, vel], 1) @ proj + 0.05 * torch.randn(args.batch_size, OBS_DIM))
        actions.append(a)
        rewards.append(-pos.norm(dim=1, keepdim=True))
    return torch.stack(obs), torch.stack(actions), torch.stack(rewards)


if __name__ == "__main__":
    args = Args()
    encoder = mlp(OBS_DIM, EMBED_DIM)
    rssm = RecurrentStateSpaceModel()
    obs_model = mlp(STATE_DIM + RNN_HIDDEN_DIM, OBS_DIM)
    reward_model = mlp(STATE_DIM + RNN_HIDDEN_DIM, 1)
    value_model = mlp(STATE_DIM + RNN_HIDDEN_DIM, 1)
    action_model = ActionModel()

    model_params = [p for m in (encoder, rssm, obs_model, reward_model) for p in m.parameters()]
    model_optimizer = torch.optim.Adam(model_params, lr=args.model_lr, eps=args.eps)
    value_optimizer = torch.optim.Adam(value_model.parameters(), lr=args.value_lr, eps=args.eps)
    action_optimizer = torch.optim.Adam(action_model.parameters(), lr=args.action_lr, eps=args.eps)

    for update_step in range(args.update_steps):
        observations, actions, rewards = sample_replay(args)
        embedded_observations = encoder(observations)
        state, rnn_hidden = torch.zeros(args.batch_size, STATE_DIM), torch.zeros(args.batch_size, RNN_HIDDEN_DIM)
        states, rnn_hiddens, kl_loss = [], [], 0
        for l in range(args.chunk_length - 1):
            next_state_prior, next_state_posterior, rnn_hidden = \
                rssm(state, actions[l], rnn_hidden, embedded_observations[l + 1])
            state = next_state_posterior.rsample()
            states.append(state)
            rnn_hiddens.append(rnn_hidden)
            kl = kl_divergence(next_state_prior, next_state_posterior).sum(dim=1)
            kl_loss += kl.clamp(min=args.free_nats).mean()
        kl_loss /= (args.chunk_length - 1)

        flatten_states, flatten_rnn_hiddens = torch.cat(states), torch.cat(rnn_hiddens)
        feat = torch.cat([flatten_states, flatten_rnn_hiddens], dim=1)
        obs_loss = 0.5 * F.mse_loss(obs_model(feat), observations[1:].reshape(-1, OBS_DIM), reduction='none').sum(1).mean()
        reward_loss = 0.5 * F.mse_loss(reward_model(feat), rewards[:-1].reshape(-1, 1))
        model_loss = kl_loss + obs_loss + reward_loss
        model_optimizer.zero_grad()
        model_loss.backward()
        clip_grad_norm_(model_params, args.clip_grad_norm)
        model_optimizer.step()

        # update value_model and action_model in imagination
        flatten_states, flatten_rnn_hiddens = flatten_states.detach(), flatten_rnn_hiddens.detach()
        imaginated = [torch.cat([flatten_states, flatten_rnn_hiddens], dim=1)]
        for h in range(1, args.imagination_horizon + 1):
            imag_actions = action_model(flatten_states, flatten_rnn_hiddens)
            flatten_states_prior, flatten_rnn_hiddens = rssm.prior(flatten_states, imag_actions, flatten_rnn_hiddens)
            flatten_states = flatten_states_prior.rsample()
            imaginated.append(torch.cat([flatten_states, flatten_rnn_hiddens], dim=1))
        imaginated = torch.stack(imaginated)
        imaginated_rewards = reward_model(imaginated).squeeze(-1)
        imaginated_values = value_model(imaginated).squeeze(-1)
        lambda_target_values = lambda_target(imaginated_rewards, imaginated_values, args.gamma, args.lambda_)

        # update value model
        value_loss = 0.5 * F.mse_loss(imaginated_values, lambda_target_values.detach())
        value_optimizer.zero_grad()
        value_loss.backward(retain_graph=True)
        clip_grad_norm_(value_model.parameters(), args.clip_grad_norm)
        value_optimizer.step()

        # update action model (multiply -1 for gradient ascent)
        action_loss = -1 * (lambda_target_values.mean())
        action_optimizer.zero_grad()
        action_loss.backward()
        clip_grad_norm_(action_model.parameters(), args.clip_grad_norm)
        action_optimizer.step()

        print('update_step: %3d model loss: %.5f value_loss: %.5f action_loss: %.5f'
              % (update_step + 1, model_loss.item(), value_loss.item(), action_loss.item()))
