"""SPiRL skill-prior model (skill VAE + learned state-conditioned prior), reduced.

Skill embedding z is inferred from an action sequence, decoded back with a
flat LSTM decoder; the learned prior p(z|s0) is trained to match q(z|a).
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

device = "cuda" if torch.cuda.is_available() else "cpu"


class AttrDict(dict):
    __getattr__ = dict.__getitem__
    __setattr__ = dict.__setitem__


def find_tensor(x):
    if isinstance(x, torch.Tensor):
        return x
    for v in (x.values() if isinstance(x, dict) else x):
        return find_tensor(v)


class Gaussian:
    def __init__(self, mu_logvar):
        self.mu, self.log_sigma = mu_logvar.chunk(2, dim=-1)
        self.log_sigma = self.log_sigma.clamp(-10, 2)

    @property
    def sigma(self):
        return self.log_sigma.exp()

    def rsample(self):
        return self.mu + self.sigma * torch.randn_like(self.mu)

    def kl_divergence(self, other):
        return (other.log_sigma - self.log_sigma
                + (self.sigma ** 2 + (self.mu - other.mu) ** 2) / (2 * other.sigma ** 2) - 0.5).sum(-1)

    def detach(self):
        return Gaussian(torch.cat([self.mu.detach(), self.log_sigma.detach()], -1))


def get_fixed_prior(like):
    return Gaussian(torch.zeros_like(torch.cat([like.mu, like.log_sigma], -1)))


class Predictor(nn.Sequential):
    def __init__(self, hp, input_size, output_size, num_layers=3, mid_size=32):
        layers, d = [], input_size
        for _ in range(num_layers - 1):
            layers += [nn.Linear(d, mid_size), nn.LeakyReLU(0.2)]
            d = mid_size
        layers.append(nn.Linear(d, output_size))
        super().__init__(*layers)


class BaseProcessingLSTM(nn.Module):
    def __init__(self, hp, in_dim, out_dim):
        super().__init__()
        self.embed = nn.Linear(in_dim, hp.nz_mid)
        self.lstm = nn.LSTM(hp.nz_mid, out_dim, batch_first=True)

    def forward(self, x):
        return self.lstm(self.embed(x))[0]


class FlatLSTMDecoder(nn.Module):
    def __init__(self, hp):
        super().__init__()
        self.cell = nn.LSTMCell(hp.action_dim + hp.nz_vae, hp.nz_mid_lstm)
        self.out = nn.Linear(hp.nz_mid_lstm, hp.action_dim)

    def forward(self, lstm_initial_inputs, lstm_static_inputs, steps, lstm_hidden_init):
        x_t, z = lstm_initial_inputs.x_t, lstm_static_inputs.z
        h, c = lstm_hidden_init, torch.zeros_like(lstm_hidden_init)
        preds = []
        for _ in range(steps):
            h, c = self.cell(torch.cat([x_t, z], dim=-1), (h, c))
            x_t = self.out(h)
            preds.append(x_t)
        return AttrDict(pred=torch.stack(preds, dim=1))


class SkillPriorMdl(nn.Module):
    """Skill embedding + prior model for SPIRL algorithm."""
    def __init__(self, params):
        super().__init__()
        self._hp = AttrDict(state_dim=4, action_dim=2, nz_enc=32, nz_vae=6, nz_mid=32, nz_mid_lstm=32,
                            n_rollout_steps=6, cond_decode=False, kl_div_weight=5e-4,
                            num_prior_net_layers=3, nz_mid_prior=32, device=None)
        self._hp.update(params)
        self.build_network()

    def build_network(self):
        self.q = self._build_inference_net()
        self.decoder = FlatLSTMDecoder(self._hp)
        self.decoder_input_initalizer = self._build_decoder_initializer(size=self._hp.action_dim)
        self.decoder_hidden_initalizer = self._build_decoder_initializer(size=self._hp.nz_mid_lstm)
        self.p = nn.ModuleList([Predictor(self._hp, self._hp.state_dim, self._hp.nz_vae * 2,
                                          self._hp.num_prior_net_layers, self._hp.nz_mid_prior)])

    def _build_inference_net(self):
        return nn.Sequential(BaseProcessingLSTM(self._hp, in_dim=self._hp.action_dim, out_dim=self._hp.nz_enc),
                             nn.Linear(self._hp.nz_enc, self._hp.nz_vae * 2))

    def _build_decoder_initializer(self, size):
        if self._hp.cond_decode:
            return Predictor(self._hp, input_size=self._hp.state_dim, output_size=size)
        else:
            class FixedTrainableInitializer(nn.Module):
                def __init__(self, hp):
                    super().__init__()
                    self._hp = hp
                    self.val = torch.zeros((1, size), requires_grad=True, device=self._hp.device)

                def forward(self, state):
                    return self.val.repeat(find_tensor(state).shape[0], 1)
            return FixedTrainableInitializer(self._hp)

    def decode(self, z, cond_inputs, steps):
        lstm_init_input = self.decoder_input_initalizer(cond_inputs)
        lstm_init_hidden = self.decoder_hidden_initalizer(cond_inputs)
        return self.decoder(lstm_initial_inputs=AttrDict(x_t=lstm_init_input),
                            lstm_static_inputs=AttrDict(z=z), steps=steps,
                            lstm_hidden_init=lstm_init_hidden).pred

    def forward(self, inputs):
        output = AttrDict()
        output.q = Gaussian(self.q(inputs.actions)[:, -1])
        z = output.q.rsample()
        output.reconstruction = self.decode(z, cond_inputs=inputs.states[:, 0], steps=self._hp.n_rollout_steps)
        output.q_hat = Gaussian(self.p[0](inputs.states[:, 0]))
        return output

    def loss(self, model_output, inputs):
        losses = AttrDict()
        losses.rec_mse = F.mse_loss(model_output.reconstruction, inputs.actions)
        losses.kl_loss = self._hp.kl_div_weight * model_output.q.kl_divergence(get_fixed_prior(model_output.q)).mean()
        losses.q_hat_loss = model_output.q.detach().kl_divergence(model_output.q_hat).mean()
        losses.total = losses.rec_mse + losses.kl_loss + losses.q_hat_loss
        return losses


torch.manual_seed(0)
conf = AttrDict(lr=1e-3, batch_size=16, num_epochs=4, n_seqs=64)
model = SkillPriorMdl(AttrDict(device=device)).to(device)
optimizer = torch.optim.Adam(model.parameters(), lr=conf.lr, betas=(0.9, 0.999))

# synthetic demonstration data: smooth action chunks and the states they start from
states = torch.randn(conf.n_seqs, 7, model._hp.state_dim)
t = torch.linspace(0, 1, model._hp.n_rollout_steps)
actions = torch.stack([torch.sin(3 * t[None] + states[:, 0, :1]), torch.cos(2 * t[None] * states[:, 0, 1:2])], -1)

for epoch in range(conf.num_epochs):
    model.train()
    perm = torch.randperm(conf.n_seqs)
    for i in range(0, conf.n_seqs, conf.batch_size):
        idx = perm[i:i + conf.batch_size]
        inputs = AttrDict(states=states[idx].to(device), actions=actions[idx].to(device))
        optimizer.zero_grad()
        output = model(inputs)
        losses = model.loss(output, inputs)
        losses.total.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
    print(f"epoch {epoch}: rec {losses.rec_mse.item():.4f} prior {losses.q_hat_loss.item():.4f}")
