"""Deep Interest Network (DeepCTR-Torch layout) with Dice activations in the attention unit and
in the final DNN, trained on synthetic click logs."""
import torch
import torch.nn as nn
import torch.nn.functional as F

device = "cuda" if torch.cuda.is_available() else "cpu"


class Dice(nn.Module):
    """The Data Adaptive Activation Function in DIN: p(s) * s + (1 - p(s)) * alpha * s."""

    def __init__(self, emb_size, dim=2, epsilon=1e-8, device="cpu"):
        super(Dice, self).__init__()
        assert dim == 2 or dim == 3
        self.bn = nn.BatchNorm1d(emb_size, eps=epsilon)
        self.sigmoid = nn.Sigmoid()
        self.dim = dim
        if self.dim == 2:
            self.alpha = torch.zeros((emb_size,)).to(device)
        else:
            self.alpha = torch.zeros((emb_size, 1)).to(device)

    def forward(self, x):
        if self.dim == 2:
            x_p = self.sigmoid(self.bn(x))
            return self.alpha * (1 - x_p) * x + x_p * x
        x = torch.transpose(x, 1, 2)
        x_p = self.sigmoid(self.bn(x))
        out = self.alpha * (1 - x_p) * x + x_p * x
        return torch.transpose(out, 1, 2)


class DNN(nn.Module):
    def __init__(self, inputs_dim, hidden_units, dice_dim=2, device="cpu"):
        super().__init__()
        dims = [inputs_dim] + list(hidden_units)
        self.linears = nn.ModuleList([nn.Linear(dims[i], dims[i + 1]) for i in range(len(dims) - 1)])
        self.activation_layers = nn.ModuleList([Dice(dims[i + 1], dim=dice_dim, device=device)
                                                for i in range(len(dims) - 1)])

    def forward(self, x):
        for fc, act in zip(self.linears, self.activation_layers):
            x = act(fc(x))
        return x


class LocalActivationUnit(nn.Module):
    def __init__(self, embedding_dim=8, hidden_units=(16, 8), device="cpu"):
        super().__init__()
        self.dnn = DNN(4 * embedding_dim, hidden_units, dice_dim=3, device=device)
        self.dense = nn.Linear(hidden_units[-1], 1)

    def forward(self, query, user_behavior):
        q = query.expand(-1, user_behavior.size(1), -1)
        att_in = torch.cat([q, user_behavior, q - user_behavior, q * user_behavior], dim=-1)
        return self.dense(self.dnn(att_in))


class DIN(nn.Module):
    def __init__(self, n_users, n_items, embedding_dim=8, dnn_hidden_units=(32, 16), device="cpu"):
        super().__init__()
        self.embedding_dict = nn.ModuleDict({"user": nn.Embedding(n_users, embedding_dim),
                                             "item": nn.Embedding(n_items, embedding_dim, padding_idx=0)})
        self.attention = LocalActivationUnit(embedding_dim, device=device)
        self.dnn = DNN(3 * embedding_dim, dnn_hidden_units, device=device)
        self.dnn_linear = nn.Linear(dnn_hidden_units[-1], 1, bias=False)
        self.to(device)

    def forward(self, user, item, hist):
        u = self.embedding_dict["user"](user)
        q = self.embedding_dict["item"](item).unsqueeze(1)
        keys = self.embedding_dict["item"](hist)
        score = self.attention(q, keys).transpose(1, 2)          # (B, 1, T)
        score = score.masked_fill((hist == 0).unsqueeze(1), 0.0)
        hist_vec = torch.bmm(score, keys).squeeze(1)
        x = torch.cat([u, q.squeeze(1), hist_vec], dim=-1)
        return torch.sigmoid(self.dnn_linear(self.dnn(x))).squeeze(-1)


torch.manual_seed(0)
n_users, n_items, B, T = 50, 60, 256, 6
user = torch.randint(0, n_users, (B,))
item = torch.randint(1, n_items, (B,))
hist = torch.randint(0, n_items, (B, T))
label = ((hist == item.unsqueeze(1)).any(1) | (item % 4 == user % 4)).float()

model = DIN(n_users, n_items, device=device)
optimizer = torch.optim.Adagrad(model.parameters(), lr=0.05)
for epoch in range(5):
    model.train()
    for i in range(0, B, 64):
        y_pred = model(user[i:i + 64].to(device), item[i:i + 64].to(device), hist[i:i + 64].to(device))
        loss = F.binary_cross_entropy(y_pred, label[i:i + 64].to(device))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    print(f"epoch {epoch} logloss {loss.item():.4f}")
