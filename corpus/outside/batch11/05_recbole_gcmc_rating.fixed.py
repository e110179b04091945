"""GC-MC (graph convolutional matrix completion) in the RecBole layout: GcEncoder + BiDecoder,
trained on a small synthetic user-item rating graph."""
import torch
import torch.nn as nn
import torch.nn.functional as F

device = "cuda" if torch.cuda.is_available() else "cpu"

config = {"n_users": 30, "n_items": 40, "num_ratings": 3, "gcn_output_dim": 24, "embedding_size": 16,
          "dropout_prob": 0.0, "sparse_feature": True, "share_user_item_weights": False,
          "learning_rate": 1e-2, "epochs": 20}


class GcEncoder(nn.Module):
    def __init__(self, accum, num_user, num_item, support, input_dim, gcn_output_dim, dense_output_dim,
                 drop_prob, device, sparse_feature=True, act_dense=lambda x: x, share_user_item_weights=True):
        super().__init__()
        self.num_users, self.num_items = num_user, num_item
        self.support = support
        self.accum = accum
        self.share_weights = share_user_item_weights
        self.dropout = nn.Dropout(p=drop_prob)
        self.dense_activate = act_dense
        self.activate = nn.ReLU()
        self.weights_u = nn.ParameterList([nn.Parameter(torch.randn(input_dim, gcn_output_dim) * 0.1)
                                           for _ in range(len(support))])
        if share_user_item_weights:
            self.weights_v = self.weights_u
        else:
            self.weights_v = nn.ParameterList([nn.Parameter(torch.randn(input_dim, gcn_output_dim) * 0.1)
                                               for _ in range(len(support))])
        self.dense_layer_u = nn.Linear(gcn_output_dim, dense_output_dim)
        if share_user_item_weights:
            self.dense_layer_v = self.dense_layer_u
        else:
            self.dense_layer_v = nn.Linear(gcn_output_dim, dense_output_dim)

    def forward(self, user_X, item_X):
        user_X, item_X = self.dropout(user_X), self.dropout(item_X)
        embeddings = []
        for i, adj in enumerate(self.support):
            tmp_u = user_X @ self.weights_u[i]
            tmp_v = item_X @ self.weights_v[i]
            tmp_user = adj @ tmp_v          # messages item -> user for rating level i
            tmp_item = adj.t() @ tmp_u      # messages user -> item
            embeddings.append(torch.cat([tmp_user, tmp_item], dim=0))
        embeddings = torch.stack(embeddings, dim=0).sum(0)
        embeddings = self.activate(embeddings)
        u_hidden, v_hidden = torch.split(embeddings, [self.num_users, self.num_items])
        u_hidden = self.dense_layer_u(self.dropout(u_hidden))
        v_hidden = self.dense_layer_v(self.dropout(v_hidden))
        return self.dense_activate(u_hidden), self.dense_activate(v_hidden)


class BiDecoder(nn.Module):
    def __init__(self, input_dim, output_dim, num_weights=3):
        super().__init__()
        self.weights = nn.ParameterList([nn.Parameter(torch.eye(input_dim) + 0.01 * torch.randn(input_dim, input_dim))
                                         for _ in range(num_weights)])
        self.dense_layer = nn.Linear(num_weights, output_dim, bias=False)

    def forward(self, u_inputs, i_inputs, users, items):
        u, v = u_inputs[users], i_inputs[items]
        basis = torch.stack([((u @ w) * v).sum(-1) for w in self.weights], dim=1)
        return self.dense_layer(basis)


class GCMC(nn.Module):
    def __init__(self, config, support):
        super().__init__()
        self.n_users, self.n_items = config["n_users"], config["n_items"]
        input_dim = self.n_users + self.n_items
        self.register_buffer("user_features", torch.eye(input_dim)[: self.n_users])
        self.register_buffer("item_features", torch.eye(input_dim)[self.n_users:])
        self.GcEncoder = GcEncoder(accum="sum", num_user=self.n_users, num_item=self.n_items, support=support,
                                   input_dim=input_dim, gcn_output_dim=config["gcn_output_dim"],
                                   dense_output_dim=config["embedding_size"], drop_prob=config["dropout_prob"],
                                   device=device, sparse_feature=config["sparse_feature"],
                                   share_user_item_weights=config["share_user_item_weights"])
        self.BiDecoder = BiDecoder(config["embedding_size"], config["num_ratings"], config["num_ratings"])

    def calculate_loss(self, users, items, ratings):
        u_h, v_h = self.GcEncoder(self.user_features, self.item_features)
        return F.cross_entropy(self.BiDecoder(u_h, v_h, users, items), ratings)


torch.manual_seed(0)
n_obs = 300
users = torch.randint(0, config["n_users"], (n_obs,))
items = torch.randint(0, config["n_items"], (n_obs,))
ratings = ((users % 3 + items % 3) % config["num_ratings"])
support = []
for r in range(config["num_ratings"]):
    adj = torch.zeros(config["n_users"], config["n_items"])
    m = ratings == r
    adj[users[m], items[m]] = 1.0
    deg = adj.sum(1, keepdim=True).clamp(min=1)
    support.append((adj / deg).to(device))

model = GCMC(config, support).to(device)
optimizer = torch.optim.Adam(model.parameters(), lr=config["learning_rate"])
for epoch in range(config["epochs"]):
    model.train()
    loss = model.calculate_loss(users.to(device), items.to(device), ratings.to(device))
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    if epoch % 5 == 0:
        print(f"epoch {epoch} train loss {loss.item():.4f}")
