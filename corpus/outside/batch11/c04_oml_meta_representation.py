"""OML (mrcl, oml_omniglot.py layout): the representation network (RLN) is frozen in the
inner loop, where only the prediction network (PLN) is adapted with fast weights; the
meta-optimizer then updates RLN and the PLN initialisation through the meta-loss."""
import torch
import torch.nn as nn
import torch.nn.functional as F

device = "cuda" if torch.cuda.is_available() else "cpu"


class Learner(nn.Module):
    def __init__(self, in_dim=20, hid=32, n_classes=5):
        super().__init__()
        self.rln = nn.Sequential(nn.Linear(in_dim, hid), nn.ReLU(), nn.Linear(hid, hid), nn.ReLU())
        self.pln_w = nn.Parameter(torch.randn(n_classes, hid) * 0.1)
        self.pln_b = nn.Parameter(torch.zeros(n_classes))

    def forward(self, x, fast_weights=None):
        w, b = fast_weights if fast_weights is not None else (self.pln_w, self.pln_b)
        return F.linear(self.rln(x), w, b)


class MetaLearningClassification(nn.Module):
    def __init__(self, update_lr=0.1, meta_lr=1e-3, update_step=3):
        super().__init__()
        self.net = Learner()
        self.update_lr, self.update_step = update_lr, update_step
        self.optimizer = torch.optim.Adam(self.net.parameters(), lr=meta_lr)

    def forward(self, x_traj, y_traj, x_rand, y_rand):
        fast = [self.net.pln_w, self.net.pln_b]
        for k in range(self.update_step):
            logits = self.net(x_traj[k], fast)
            grad = torch.autograd.grad(F.cross_entropy(logits, y_traj[k]), fast, create_graph=True)
            fast = [p - self.update_lr * g for p, g in zip(fast, grad)]
        meta_loss = F.cross_entropy(self.net(x_rand, fast), y_rand)
        self.optimizer.zero_grad()
        meta_loss.backward()
        self.optimizer.step()
        return meta_loss.item()


torch.manual_seed(0)
maml = MetaLearningClassification().to(device)
protos = torch.randn(5, 20)
for step in range(5):
    classes = torch.randint(0, 5, (3, 4))
    x_traj = protos[classes] + 0.3 * torch.randn(3, 4, 20)
    yc = torch.randint(0, 5, (16,))
    x_rand = protos[yc] + 0.3 * torch.randn(16, 20)
    loss = maml(x_traj.to(device), classes.to(device), x_rand.to(device), yc.to(device))
    print(f"step {step} meta loss {loss:.4f}")
