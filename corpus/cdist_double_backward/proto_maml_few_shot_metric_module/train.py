"""Proto-MAML on synthetic few-shot tasks: a small embedding network is adapted to each task with
a few gradient steps on the support set's prototype loss, and meta-trained through those steps
(second-order MAML) on the query set."""
import torch
from torch import nn
from torch.func import functional_call

from metric import prototype_loss

N_WAY, K_SHOT, N_QUERY = 5, 5, 5
INPUT_DIM, EMBED_DIM = 24, 16
INNER_STEPS, INNER_LR = 2, 0.1
META_BATCH, META_ITERS = 4, 40

torch.manual_seed(11)


def sample_task():
    """Each class is a random direction in input space plus a shared nuisance distortion."""
    centres = torch.randn(N_WAY, INPUT_DIM) * 0.4
    distortion = torch.randn(INPUT_DIM, INPUT_DIM) * 0.2 + torch.eye(INPUT_DIM)

    def draw(per_class):
        y = torch.arange(N_WAY).repeat_interleave(per_class)
        x = (centres[y] + torch.randn(len(y), INPUT_DIM)) @ distortion
        return x, y

    return draw(K_SHOT), draw(N_QUERY)


class Embedder(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(INPUT_DIM, 64),
            nn.ELU(),
            nn.Linear(64, 64),
            nn.ELU(),
            nn.Linear(64, EMBED_DIM),
        )

    def forward(self, x):
        return self.net(x)


def adapt(model, params, xs, ys):
    """Inner loop: gradient steps on the support set, kept in the graph for the meta-gradient."""
    for _ in range(INNER_STEPS):
        emb = functional_call(model, params, (xs,))
        loss, _ = prototype_loss(emb, ys, emb, ys, N_WAY)
        grads = torch.autograd.grad(loss, list(params.values()), create_graph=True)
        params = {name: w - INNER_LR * g for (name, w), g in zip(params.items(), grads)}
    return params


def meta_train():
    model = Embedder()
    meta_opt = torch.optim.Adam(model.parameters(), lr=1e-3)

    for it in range(META_ITERS):
        meta_opt.zero_grad()
        total_loss, total_acc = 0.0, 0.0
        for _ in range(META_BATCH):
            (xs, ys), (xq, yq) = sample_task()
            fast = adapt(model, dict(model.named_parameters()), xs, ys)
            loss, acc = prototype_loss(
                functional_call(model, fast, (xs,)),
                ys,
                functional_call(model, fast, (xq,)),
                yq,
                N_WAY,
            )
            (loss / META_BATCH).backward()
            total_loss += loss.item()
            total_acc += acc.item()
        meta_opt.step()
        if it % 10 == 0:
            print(f"meta-iter {it:3d}  query loss {total_loss / META_BATCH:.3f}  acc {total_acc / META_BATCH:.2f}")


if __name__ == "__main__":
    meta_train()
