# Report: https://github.com/twitter/the-algorithm-ml/pull/136
# "Swap python list for torch's ModuleList so all the layers in MLP are properly registered."
# The ranking model's MLP keeps its Linear/LayerNorm blocks in a plain Python list, so
# model.parameters() never sees them and the optimizer cannot update them.
import numpy as np
import torch
import torch.nn as nn

torch.manual_seed(0)
np.random.seed(0)
device = "cuda" if torch.cuda.is_available() else "cpu"

CONFIG = {
    "num_dense": 16,
    "num_sparse": 4,
    "vocab": 50,
    "emb_dim": 8,
    "mlp": {"layer_sizes": [64, 32], "batch_norm": True, "dropout": 0.1},
    "lr": 1e-2,
    "steps": 40,
    "batch": 64,
}


class Mlp(nn.Module):
    """Projection MLP as configured by an MlpConfig."""

    def __init__(self, in_features, mlp_config):
        super().__init__()
        layers = []
        in_dim = in_features
        for size in mlp_config["layer_sizes"]:
            layers.append(nn.Linear(in_dim, size))
            if mlp_config["batch_norm"]:
                layers.append(nn.LayerNorm(size))
            layers.append(nn.ReLU())
            if mlp_config["dropout"]:
                layers.append(nn.Dropout(mlp_config["dropout"]))
            in_dim = size
        self.layers = nn.ModuleList(layers)
        self.out_features = in_dim

    def forward(self, x):
        for layer in self.layers:
            x = layer(x)
        return x


class RankingModel(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.embeddings = nn.ModuleList(nn.Embedding(cfg["vocab"], cfg["emb_dim"])
                                        for _ in range(cfg["num_sparse"]))
        in_features = cfg["num_dense"] + cfg["num_sparse"] * cfg["emb_dim"]
        self.backbone = Mlp(in_features, cfg["mlp"])
        self.head = nn.Linear(self.backbone.out_features, 1)

    def forward(self, dense, sparse):
        embs = [emb(sparse[:, i]) for i, emb in enumerate(self.embeddings)]
        x = torch.cat([dense] + embs, dim=1)
        return self.head(self.backbone(x)).squeeze(-1)


def make_batch(rng, cfg):
    dense = torch.from_numpy(rng.standard_normal((cfg["batch"], cfg["num_dense"])).astype(np.float32))
    sparse = torch.from_numpy(rng.integers(0, cfg["vocab"], (cfg["batch"], cfg["num_sparse"])))
    logits = dense[:, :4].sum(1) + (sparse[:, 0] % 3 == 0).float()
    labels = (logits > 0.5).float()
    return dense.to(device), sparse.to(device), labels.to(device)


model = RankingModel(CONFIG).to(device)
optimizer = torch.optim.Adam(model.parameters(), lr=CONFIG["lr"])
loss_fn = nn.BCEWithLogitsLoss()
rng = np.random.default_rng(0)

model.train()
for step in range(CONFIG["steps"]):
    dense, sparse, labels = make_batch(rng, CONFIG)
    optimizer.zero_grad()
    loss = loss_fn(model(dense, sparse), labels)
    loss.backward()
    optimizer.step()
    if step % 10 == 0:
        print(f"step {step} loss {loss.item():.4f}")
