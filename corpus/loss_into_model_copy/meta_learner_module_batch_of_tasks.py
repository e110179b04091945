"""A MetaLearner module holding the network, meta-trained on batches of tasks: every task of the
batch fine-tunes its own fast copy of the network, and the query losses of the batch are meant
to accumulate into the network's gradient before one meta step."""
import copy

import torch
import torch.nn as nn
import torch.nn.functional as F


class MetaLearner(nn.Module):
    def __init__(self, in_dim=16, n_classes=4, update_lr=0.05, update_steps=3):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(in_dim, 64), nn.LayerNorm(64), nn.GELU(), nn.Linear(64, n_classes))
        self.update_lr = update_lr
        self.update_steps = update_steps

    def forward(self, tasks):
        accuracies = []
        for x_spt, y_spt, x_qry, y_qry in tasks:
            fast_net = copy.deepcopy(self.net)
            fast_opt = torch.optim.SGD(fast_net.parameters(), lr=self.update_lr, momentum=0.9)
            for _ in range(self.update_steps):
                fast_opt.zero_grad()
                F.cross_entropy(fast_net(x_spt), y_spt).backward()
                fast_opt.step()
            logits_q = fast_net(x_qry)
            loss_q = F.cross_entropy(logits_q, y_qry)
            (loss_q / len(tasks)).backward()
            accuracies.append((logits_q.argmax(-1) == y_qry).float().mean())
        return torch.stack(accuracies).mean()


def task_batch(n_tasks=4, in_dim=16, n_classes=4, shots=5, queries=10):
    batch = []
    for _ in range(n_tasks):
        centres = 2.0 * torch.randn(n_classes, in_dim)
        y_spt = torch.arange(n_classes).repeat(shots)
        y_qry = torch.arange(n_classes).repeat(queries)
        batch.append((centres[y_spt] + torch.randn(len(y_spt), in_dim), y_spt,
                      centres[y_qry] + torch.randn(len(y_qry), in_dim), y_qry))
    return batch


torch.manual_seed(11)
maml = MetaLearner()
meta_optim = torch.optim.Adam(maml.parameters(), lr=1e-3)
for step in range(20):
    meta_optim.zero_grad()
    acc = maml(task_batch())
    meta_optim.step()
    if step % 5 == 0:
        print(f"step {step}: query accuracy {acc.item():.2f}")
