"""Click-through prediction with DeepFM, warm-started from pre-trained item vectors.

The item vectors come from an (here: simulated) item2vec run; they are loaded into the
item embedding and fine-tuned with a smaller learning rate than the rest of the model.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

N_USERS, N_ITEMS, N_CATS, EMB = 40, 80, 6, 8


class DeepFM(nn.Module):
    def __init__(self, pretrained_items):
        super().__init__()
        self.user_embedding = nn.Embedding(N_USERS, EMB)
        self.item_embedding = nn.Embedding.from_pretrained(pretrained_items)
        self.cat_embedding = nn.Embedding(N_CATS, EMB)
        self.first_order = nn.Embedding(N_USERS + N_ITEMS + N_CATS, 1)
        self.bias = nn.Parameter(torch.zeros(1))
        self.mlp = nn.Sequential(nn.Linear(3 * EMB, 32), nn.ReLU(), nn.Dropout(0.1), nn.Linear(32, 1))

    def forward(self, user, item, cat):
        fields = torch.stack([self.user_embedding(user), self.item_embedding(item),
                              self.cat_embedding(cat)], dim=1)                 # B x 3 x E
        square_of_sum = fields.sum(1).pow(2)
        sum_of_square = fields.pow(2).sum(1)
        fm = 0.5 * (square_of_sum - sum_of_square).sum(1, keepdim=True)
        idx = torch.stack([user, N_USERS + item, N_USERS + N_ITEMS + cat], 1)
        linear = self.first_order(idx).sum(1) + self.bias
        deep = self.mlp(fields.flatten(1))
        return (linear + fm + deep).squeeze(1)


class Trainer:
    def __init__(self, model, lr=5e-3, emb_lr=5e-4):
        self.model = model
        emb_params = list(model.item_embedding.parameters())
        emb_ids = {id(p) for p in emb_params}
        other = [p for p in model.parameters() if id(p) not in emb_ids]
        self.optimizer = torch.optim.Adam([
            {"params": other, "lr": lr},
            {"params": emb_params, "lr": emb_lr},
        ])

    def train_step(self, batch):
        user, item, cat, label = batch
        self.model.train()
        logits = self.model(user, item, cat)
        loss = F.binary_cross_entropy_with_logits(logits, label)
        self.optimizer.zero_grad()
        loss.backward()
        self.optimizer.step()
        return loss.item()

    @torch.no_grad()
    def evaluate(self, batch):
        self.model.eval()
        user, item, cat, label = batch
        pred = torch.sigmoid(self.model(user, item, cat)) > 0.5
        return (pred.float() == label).float().mean().item()


def synthetic_interactions(n, item_vecs, user_vecs, item_cat, seed):
    g = torch.Generator().manual_seed(seed)
    user = torch.randint(0, N_USERS, (n,), generator=g)
    item = torch.randint(0, N_ITEMS, (n,), generator=g)
    score = (user_vecs[user] * item_vecs[item]).sum(1)
    label = (score + 0.3 * torch.randn(n, generator=g) > 0).float()
    return user, item, item_cat[item], label


if __name__ == "__main__":
    torch.manual_seed(0)
    true_items = torch.randn(N_ITEMS, EMB)
    true_users = torch.randn(N_USERS, EMB)
    item_cat = torch.randint(0, N_CATS, (N_ITEMS,))
    pretrained = true_items + 0.5 * torch.randn(N_ITEMS, EMB)    # noisy item2vec output

    trainer = Trainer(DeepFM(pretrained))
    val = synthetic_interactions(512, true_items, true_users, item_cat, seed=99)
    for step in range(40):
        batch = synthetic_interactions(128, true_items, true_users, item_cat, seed=step)
        loss = trainer.train_step(batch)
        if step % 10 == 0:
            print(f"step {step:2d} loss {loss:.4f} val acc {trainer.evaluate(val):.3f}")
