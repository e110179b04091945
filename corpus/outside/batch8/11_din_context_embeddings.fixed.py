"""DIN (Deep Interest Network) CTR model with a RecBole-style context embedding layer.

user/item token features -> FM-style embedding tables, item float feature (price) -> float
embedding; the user's behaviour sequence is attention-pooled against the target item.
"""
import torch
import torch.nn as nn

torch.manual_seed(0)

N_USERS, N_ITEMS, N_CATS, N_AGES, SEQ_LEN = 60, 120, 8, 5, 10


class FMEmbedding(nn.Module):
    def __init__(self, field_dims, offsets, output_dim):
        super().__init__()
        self.embedding = nn.Embedding(sum(field_dims), output_dim)
        self.register_buffer("offsets", torch.tensor(offsets, dtype=torch.long))
        nn.init.normal_(self.embedding.weight, std=0.05)

    def forward(self, input_x):
        return self.embedding(input_x + self.offsets.unsqueeze(0))


class FLEmbedding(nn.Module):
    def __init__(self, num_fields, output_dim):
        super().__init__()
        self.embedding = nn.Embedding(num_fields, output_dim)
        nn.init.normal_(self.embedding.weight, std=0.05)

    def forward(self, input_x):
        idx = torch.arange(input_x.shape[-1]).expand_as(input_x)
        return self.embedding(idx) * input_x.unsqueeze(-1)


class ContextSeqEmbLayer(nn.Module):
    """For Deep Interest Network and feature-rich sequential recommenders, return feature embeddings."""

    def __init__(self, token_field_dims, float_field_nums, embedding_size):
        super().__init__()
        self.embedding_size = embedding_size
        self.types = ["user", "item"]
        self.token_field_dims = token_field_dims
        self.float_field_nums = float_field_nums
        self.token_field_offsets = {}
        self.token_embedding_table = nn.ModuleDict()
        self.float_embedding_table = nn.ModuleDict()
        self.get_embedding()

    def get_embedding(self):
        for type in self.types:
            dims = self.token_field_dims[type]
            if len(dims) > 0:
                offsets = [0]
                for d in dims[:-1]:
                    offsets.append(offsets[-1] + d)
                self.token_field_offsets[type] = offsets
                self.token_embedding_table[type] = FMEmbedding(dims, offsets, self.embedding_size)
            if self.float_field_nums[type] > 0:
                self.float_embedding_table[type] = FLEmbedding(self.float_field_nums[type], self.embedding_size)

    def forward(self, user_tokens, item_tokens, item_floats):
        user_emb = self.token_embedding_table["user"](user_tokens)             # (B, n_user_fields, E)
        item_emb = self.token_embedding_table["item"](item_tokens)             # (B, L, n_item_fields, E)
        item_float = self.float_embedding_table["item"](item_floats)           # (B, L, n_float, E)
        return user_emb, torch.cat([item_emb, item_float], dim=-2)


class SequenceAttLayer(nn.Module):
    def __init__(self, att_hidden_size=(32, 16), embed_dim=48):
        super().__init__()
        self.att_mlp_layers = nn.Sequential(nn.Linear(4 * embed_dim, att_hidden_size[0]), nn.Sigmoid(),
                                            nn.Linear(att_hidden_size[0], att_hidden_size[1]), nn.Sigmoid())
        self.dense = nn.Linear(att_hidden_size[1], 1)

    def forward(self, queries, keys, keys_length):
        L = keys.shape[1]
        queries = queries.unsqueeze(1).expand(-1, L, -1)
        input_tensor = torch.cat([queries, keys, queries - keys, queries * keys], dim=-1)
        output = self.dense(self.att_mlp_layers(input_tensor)).squeeze(-1)     # (B, L)
        mask = torch.arange(L).unsqueeze(0) >= keys_length.unsqueeze(1)
        output = output.masked_fill(mask, 0.0) / (keys.shape[-1] ** 0.5)
        return (output.unsqueeze(-1) * keys).sum(1)


class DIN(nn.Module):
    def __init__(self, embedding_size=16, mlp_hidden_size=(64, 32)):
        super().__init__()
        token_dims = {"user": [N_USERS, N_AGES], "item": [N_ITEMS, N_CATS]}
        float_nums = {"user": 0, "item": 1}
        self.embedding_layer = ContextSeqEmbLayer(token_dims, float_nums, embedding_size)
        item_dim, user_dim = 3 * embedding_size, 2 * embedding_size
        self.attention = SequenceAttLayer(embed_dim=item_dim)
        self.dnn_mlp_layers = nn.Sequential(
            nn.Linear(user_dim + 2 * item_dim, mlp_hidden_size[0]), nn.BatchNorm1d(mlp_hidden_size[0]), nn.PReLU(),
            nn.Dropout(0.1), nn.Linear(mlp_hidden_size[0], mlp_hidden_size[1]), nn.PReLU())
        self.dnn_predict_layers = nn.Linear(mlp_hidden_size[1], 1)

    def forward(self, user, item_seq_tokens, item_seq_floats, item_seq_len, target_tokens, target_floats):
        tokens = torch.cat([item_seq_tokens, target_tokens.unsqueeze(1)], dim=1)
        floats = torch.cat([item_seq_floats, target_floats.unsqueeze(1)], dim=1)
        user_emb, item_feat = self.embedding_layer(user, tokens, floats)
        user_emb, item_feat = user_emb.flatten(1), item_feat.flatten(2)         # item_feat: (B, L+1, item_dim)
        history, target = item_feat[:, :-1], item_feat[:, -1]
        user_interest = self.attention(target, history, item_seq_len)
        din_in = torch.cat([user_emb, user_interest, target], dim=-1)
        return self.dnn_predict_layers(self.dnn_mlp_layers(din_in)).squeeze(1)


def make_interactions(n=512):
    item_cat = torch.randint(0, N_CATS, (N_ITEMS,))
    item_price = torch.rand(N_ITEMS)
    user_pref = torch.randint(0, N_CATS, (N_USERS,))
    user_age = torch.randint(0, N_AGES, (N_USERS,))
    users = torch.randint(0, N_USERS, (n,))
    seq = torch.randint(0, N_ITEMS, (n, SEQ_LEN))
    seq_len = torch.randint(3, SEQ_LEN + 1, (n,))
    target = torch.randint(0, N_ITEMS, (n,))
    label = (item_cat[target] == user_pref[users]).float()
    label = torch.where(torch.rand(n) < 0.1, 1 - label, label)
    return dict(user=torch.stack([users, user_age[users]], 1),
                item_seq_tokens=torch.stack([seq, item_cat[seq]], -1),
                item_seq_floats=item_price[seq].unsqueeze(-1),
                item_seq_len=seq_len,
                target_tokens=torch.stack([target, item_cat[target]], -1),
                target_floats=item_price[target].unsqueeze(-1),
                label=label)


if __name__ == "__main__":
    data = make_interactions()
    model = DIN()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fct = nn.BCEWithLogitsLoss()
    for epoch in range(3):
        model.train()
        perm = torch.randperm(data["label"].shape[0])
        total = 0.0
        for i in range(0, perm.shape[0], 64):
            idx = perm[i:i + 64]
            batch = {k: v[idx] for k, v in data.items()}
            label = batch.pop("label")
            logits = model(**batch)
            loss = loss_fct(logits, label)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += loss.item()
        print(f"epoch {epoch} train loss {total:.4f}")
