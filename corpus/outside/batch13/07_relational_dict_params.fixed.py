# Reproduction modelled on: https://github.com/pytorch/pytorch/issues/632
# FIXED VERSION: nn.ModuleDict / nn.ParameterDict (string keys) register the relation weights.
# "parameters not registered in module": relation-specific aggregation weights
# (self.waggrs[rel] = {'w': nn.Parameter, 'b': nn.Parameter}) and relation-specific
# nn.Linear layers (self.list_relations[rel]) are kept in plain Python dicts, so they are not
# registered, model.parameters() misses them and the optimizer never updates them.
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
np.random.seed(0)
device = "cuda" if torch.cuda.is_available() else "cpu"

CONFIG = {"num_nodes": 40, "num_features": 8, "num_rel_features": 16, "num_relations": 3,
          "num_classes": 3, "lr": 0.01, "epochs": 30}


class RelationalAggregator(nn.Module):
    def __init__(self, numfeatures, numrel, num_relations):
        super().__init__()
        self.num_relations = num_relations
        self.waggrs = nn.ModuleDict()
        self.list_relations = nn.ModuleDict()
        for rel in range(num_relations):
            self.waggrs[str(rel)] = nn.ParameterDict({"w": nn.Parameter(1. + torch.randn(1, 2)),
                                                      "b": nn.Parameter(torch.zeros(1, numrel))})
            self.list_relations[str(rel)] = nn.Linear(numfeatures, numrel)
        self.self_loop = nn.Linear(numfeatures, numrel)

    def forward(self, x, adjs):
        out = self.self_loop(x)
        for rel in range(self.num_relations):
            msg = self.list_relations[str(rel)](x)                               # (N, numrel)
            mean_msg = adjs[rel] @ msg / adjs[rel].sum(1, keepdim=True).clamp(min=1)
            max_msg = (adjs[rel].unsqueeze(-1) * msg.unsqueeze(0)).max(1)[0]
            w = torch.softmax(self.waggrs[str(rel)]["w"], dim=-1)
            out = out + w[0, 0] * mean_msg + w[0, 1] * max_msg + self.waggrs[str(rel)]["b"]
        return F.relu(out)


class RelationalNet(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.encoder = nn.Linear(cfg["num_features"], cfg["num_features"])
        self.aggr = RelationalAggregator(cfg["num_features"], cfg["num_rel_features"], cfg["num_relations"])
        self.classifier = nn.Linear(cfg["num_rel_features"], cfg["num_classes"])

    def forward(self, x, adjs):
        return self.classifier(self.aggr(torch.tanh(self.encoder(x)), adjs))


def make_graph(cfg):
    n = cfg["num_nodes"]
    x = torch.randn(n, cfg["num_features"])
    adjs = [(torch.rand(n, n) < 0.1).float() for _ in range(cfg["num_relations"])]
    y = ((adjs[0] @ x[:, 0]) + x[:, 1] > 0).long() + (x[:, 2] > 1).long()
    return x.to(device), [a.to(device) for a in adjs], y.to(device)


def run(cfg):
    model = RelationalNet(cfg).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=cfg["lr"])
    x, adjs, y = make_graph(cfg)
    for epoch in range(cfg["epochs"]):
        model.train()
        optimizer.zero_grad()
        logits = model(x, adjs)
        loss = F.cross_entropy(logits, y)
        loss.backward()
        optimizer.step()
        if epoch % 10 == 0:
            acc = (logits.argmax(1) == y).float().mean().item()
            print(f"epoch {epoch:3d} loss {loss.item():.4f} acc {acc:.3f}")
    return model


model = run(CONFIG)
