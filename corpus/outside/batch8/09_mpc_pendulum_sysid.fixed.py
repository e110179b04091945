"""System identification of pendulum dynamics from expert trajectories (differentiable-MPC style).

The learned dynamics parameters (g, m, l) are fitted by rolling the differentiable dynamics
forward under the expert's controls and matching the observed states.
"""
import math

import torch
from torch import optim

torch.manual_seed(0)


class PendulumDx(torch.nn.Module):
    def __init__(self, params, simple=True, dt=0.05):
        super().__init__()
        self.params = params
        self.simple = simple
        self.dt = dt
        self.max_torque = 2.0

    def forward(self, x, u):
        g, m, l = torch.unbind(self.params)
        u = torch.clamp(u[:, 0], -self.max_torque, self.max_torque)
        th, dth = torch.unbind(x, dim=1)
        newdth = dth + self.dt * (-3. * g / (2. * l) * torch.sin(th + math.pi) + 3. * u / (m * l ** 2))
        newth = th + newdth * self.dt
        return torch.stack((newth, newdth), dim=1)


class IL_Exp:
    def __init__(self, env_name='pendulum', mode='sysid', n_batch=32, T=20, n_iters=40,
                 seed=0, device='cpu'):
        self.env_name = env_name
        self.mode = mode
        self.n_batch = n_batch
        self.T = T
        self.n_iters = n_iters
        self.seed = seed
        self.device = torch.device(device)
        self.dtype = torch.float64
        self.learn_dx = mode in ['sysid']

        true_params = torch.tensor((10., 1., 1.), dtype=self.dtype, device=self.device)
        self.true_dx = PendulumDx(true_params, simple=True)

        if self.learn_dx:
            if self.env_name == 'pendulum':
                self.env_params = torch.tensor((15., 3., 0.5), requires_grad=True)
            elif self.env_name == 'pendulum-complex':
                torch.manual_seed(self.seed)
                self.env_params = torch.tensor((5., 1., 1.)) + \
                    torch.tensor((3., 1., 1.)) * (torch.rand(3) - 0.5)
                self.env_params.requires_grad_()
            else:
                assert False
        else:
            self.env_params = self.true_dx.params
        self.env_params = self.env_params.detach().to(device=self.device, dtype=self.dtype).requires_grad_()

    def expert_rollout(self, x0):
        """Energy-shaping swing-up controller on the true dynamics."""
        xs, us = [x0], []
        x = x0
        for _ in range(self.T):
            th, dth = x[:, 0], x[:, 1]
            u = (-2.0 * torch.sin(th) * dth - 0.5 * dth).clamp(-2., 2.).unsqueeze(1)
            x = self.true_dx(x, u)
            xs.append(x)
            us.append(u)
        return torch.stack(xs), torch.stack(us)

    def sample_batch(self):
        th = (torch.rand(self.n_batch, dtype=self.dtype) * 2 - 1) * math.pi
        dth = torch.rand(self.n_batch, dtype=self.dtype) * 2 - 1
        x0 = torch.stack((th, dth), dim=1).to(self.device)
        return self.expert_rollout(x0)

    def run(self):
        params = [{
            'params': self.env_params,
            'lr': 1e-2,
            'alpha': 0.5,
        }]
        opt = optim.RMSprop(params)

        for i in range(self.n_iters):
            xs_true, us = self.sample_batch()
            dx = PendulumDx(self.env_params, simple=True)
            x = xs_true[0]
            preds = [x]
            for t in range(self.T):
                x = dx(x, us[t])
                preds.append(x)
            preds = torch.stack(preds)
            loss = (preds - xs_true).pow(2).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
            if i % 10 == 0:
                print('{:04d}: dx_loss={:.4e} params={}'.format(
                    i, loss.item(), [round(p, 3) for p in self.env_params.tolist()]))


def main():
    exp = IL_Exp(env_name='pendulum', mode='sysid')
    exp.run()


if __name__ == "__main__":
    main()
