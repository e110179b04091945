# Implicit-feedback movie recommender: a factorization machine over three categorical fields
# (user, movie, genre). Each field has its own table of latent vectors and a bias table; the
# score is the global bias plus the field biases plus all pairwise dot products between the
# field vectors. Observed (user, movie) pairs are positives, random movies are negatives.
import torch
import torch.nn.functional as F
from torch.nn import Embedding, Module, Parameter, Sequential

N_USERS, N_MOVIES, N_GENRES, FACTORS = 400, 300, 18, 12


class FactorizationMachine(Module):
    def __init__(self):
        super().__init__()
        self.field_vectors = torch.nn.ModuleList([Embedding(N_USERS, FACTORS), Embedding(N_MOVIES, FACTORS), Embedding(N_GENRES, FACTORS)])
        self.field_bias = Embedding(N_USERS + N_MOVIES + N_GENRES, 1)
        self.offsets = torch.tensor([0, N_USERS, N_USERS + N_MOVIES])
        self.global_bias = Parameter(torch.zeros(1))
        for table in self.field_vectors:
            torch.nn.init.normal_(table.weight, std=0.05)
        torch.nn.init.zeros_(self.field_bias.weight)

    def embed_fields(self, user, movie, genre):
        return torch.stack([table(torch.stack([user, movie, genre], dim=1)[..., i]) for i, table in enumerate(self.field_vectors)], dim=-2)

    def forward(self, user, movie, genre):
        v = self.embed_fields(user, movie, genre)
        square_of_sum = v.sum(dim=1).pow(2)
        sum_of_squares = v.pow(2).sum(dim=1)
        pairwise = 0.5 * (square_of_sum - sum_of_squares).sum(dim=1)
        ids = torch.stack([user, movie, genre], dim=1) + self.offsets
        return self.global_bias + self.field_bias(ids).sum(dim=(1, 2)) + pairwise


torch.manual_seed(0)
movie_genre = torch.randint(0, N_GENRES, (N_MOVIES,))
user_taste = torch.randint(0, N_GENRES, (N_USERS,))
users = torch.randint(0, N_USERS, (3000,))
liked = torch.randint(0, N_MOVIES, (3000,))
keep = movie_genre[liked] == user_taste[users]
kept = keep | (torch.rand(3000) < 0.2)
users, liked = users[kept], liked[kept]

model = FactorizationMachine()
optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
for epoch in range(5):
    order = torch.randperm(len(users))
    for start in range(0, len(users), 256):
        u, pos = users[order[start:start + 256]], liked[order[start:start + 256]]
        neg = torch.randint(0, N_MOVIES, u.shape)
        pos_score = model(u, pos, movie_genre[pos])
        neg_score = model(u, neg, movie_genre[neg])
        loss = F.binary_cross_entropy_with_logits(
            torch.cat([pos_score, neg_score]),
            torch.cat([torch.ones_like(pos_score), torch.zeros_like(neg_score)]),
        )
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    print(f"epoch {epoch}: loss {loss.item():.4f}")
