"""Physics-informed NN for the 1-D viscous Burgers equation (Raissi et al. style port):
collocation points stored on the model with requires_grad for autograd derivatives,
Adam warm-up followed by L-BFGS."""
import numpy as np
import torch
import torch.nn as nn

device = torch.device("cuda" if torch.cuda.is_available() else "cpu")


class DNN(nn.Module):
    def __init__(self, layers):
        super().__init__()
        mods = []
        for i in range(len(layers) - 2):
            mods += [nn.Linear(layers[i], layers[i + 1]), nn.Tanh()]
        mods.append(nn.Linear(layers[-2], layers[-1]))
        self.layers = nn.Sequential(*mods)

    def forward(self, x):
        return self.layers(x)


class PhysicsInformedNN(nn.Module):
    def __init__(self, X_u, u, X_f, layers, nu):
        super().__init__()
        self.x_u = torch.tensor(X_u[:, 0:1], requires_grad=True).float().to(device)
        self.t_u = torch.tensor(X_u[:, 1:2], requires_grad=True).float().to(device)
        self.x_f = torch.tensor(X_f[:, 0:1], requires_grad=True).float().to(device)
        self.t_f = torch.tensor(X_f[:, 1:2], requires_grad=True).float().to(device)
        self.u = torch.tensor(u).float().to(device)
        self.nu = nu
        self.dnn = DNN(layers).to(device)
        self.optimizer = torch.optim.LBFGS(self.dnn.parameters(), lr=1.0, max_iter=20, history_size=20,
                                           tolerance_grad=1e-7, line_search_fn="strong_wolfe")
        self.optimizer_adam = torch.optim.Adam(self.dnn.parameters(), lr=1e-3)
        self.iter = 0

    def net_u(self, x, t):
        return self.dnn(torch.cat([x, t], dim=1))

    def net_f(self, x, t):
        u = self.net_u(x, t)
        u_t = torch.autograd.grad(u, t, grad_outputs=torch.ones_like(u), retain_graph=True, create_graph=True)[0]
        u_x = torch.autograd.grad(u, x, grad_outputs=torch.ones_like(u), retain_graph=True, create_graph=True)[0]
        u_xx = torch.autograd.grad(u_x, x, grad_outputs=torch.ones_like(u_x), retain_graph=True, create_graph=True)[0]
        return u_t + u * u_x - self.nu * u_xx

    def loss_func(self):
        u_pred = self.net_u(self.x_u, self.t_u)
        f_pred = self.net_f(self.x_f, self.t_f)
        return torch.mean((self.u - u_pred) ** 2) + torch.mean(f_pred ** 2)

    def closure(self):
        self.optimizer.zero_grad()
        loss = self.loss_func()
        loss.backward()
        self.iter += 1
        return loss

    def train_model(self, adam_iters):
        self.dnn.train()
        for it in range(adam_iters):
            self.optimizer_adam.zero_grad()
            loss = self.loss_func()
            loss.backward()
            self.optimizer_adam.step()
        print("adam", loss.item())
        self.optimizer.step(self.closure)
        print("lbfgs", self.loss_func().item(), self.iter)

    def predict(self, X):
        x = torch.tensor(X[:, 0:1], requires_grad=True).float().to(device)
        t = torch.tensor(X[:, 1:2], requires_grad=True).float().to(device)
        self.dnn.eval()
        u = self.net_u(x, t)
        f = self.net_f(x, t)
        return u.detach().cpu().numpy(), f.detach().cpu().numpy()


def main():
    np.random.seed(1234)
    torch.manual_seed(1234)
    nu = 0.01 / np.pi
    x0 = np.random.uniform(-1, 1, (50, 1)); t0 = np.zeros_like(x0)
    tb = np.random.uniform(0, 1, (50, 1)); xb = np.where(np.random.rand(50, 1) < 0.5, -1.0, 1.0)
    X_u = np.vstack([np.hstack([x0, t0]), np.hstack([xb, tb])])
    u = np.vstack([-np.sin(np.pi * x0), np.zeros_like(tb)])
    X_f = np.hstack([np.random.uniform(-1, 1, (500, 1)), np.random.uniform(0, 1, (500, 1))])
    model = PhysicsInformedNN(X_u, u, X_f, [2, 20, 20, 20, 1], nu)
    model.train_model(adam_iters=10)
    u_pred, f_pred = model.predict(X_f[:10])
    print(u_pred.ravel()[:3], np.abs(f_pred).mean())


if __name__ == "__main__":
    main()
