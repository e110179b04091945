# Report: https://github.com/RUCAIBox/RecBole/issues/2027
# "[BUG] Freezed Pre-trained Embeddings": a dummy recommender whose only parameters are the
# pre-trained user/item embeddings, loaded frozen (from_pretrained, freeze=True). The loss then
# has no grad_fn and the trainer crashes with
# "element 0 of tensors does not require grad and does not have a grad_fn".
import numpy as np
import torch
import torch.nn as nn

torch.manual_seed(0)
np.random.seed(0)
device = "cuda" if torch.cuda.is_available() else "cpu"

config = {"embedding_size": 8, "n_users": 30, "n_items": 40, "epochs": 2, "train_batch_size": 16,
          "learning_rate": 1e-3, "freeze_pretrained": False}


class GeneralRecommender(nn.Module):
    def calculate_loss(self, interaction):
        raise NotImplementedError


class DummyModel(GeneralRecommender):
    """Scores user-item pairs with the dot product of pre-trained embeddings."""

    def __init__(self, config, user_emb, item_emb):
        super().__init__()
        self.user_embedding = nn.Embedding.from_pretrained(user_emb, freeze=config["freeze_pretrained"])
        self.item_embedding = nn.Embedding.from_pretrained(item_emb, freeze=config["freeze_pretrained"])
        self.loss = nn.BCEWithLogitsLoss()

    def forward(self, user, item):
        return (self.user_embedding(user) * self.item_embedding(item)).sum(-1)

    def calculate_loss(self, interaction):
        return self.loss(self.forward(interaction["user_id"], interaction["item_id"]),
                         interaction["label"])


class Trainer:
    def __init__(self, config, model):
        self.config = config
        self.model = model
        self.optimizer = torch.optim.Adam(model.parameters(), lr=config["learning_rate"])
        self.scaler = torch.amp.GradScaler(device, enabled=False)

    def _train_epoch(self, train_data):
        total = 0.0
        for interaction in train_data:
            self.optimizer.zero_grad()
            loss = self.model.calculate_loss(interaction)
            sync_loss = 0
            self.scaler.scale(loss + sync_loss).backward()
            self.scaler.step(self.optimizer)
            self.scaler.update()
            total += loss.item()
        return total

    def fit(self, train_data):
        for epoch in range(self.config["epochs"]):
            print(epoch, self._train_epoch(train_data))


def load_pretrained():
    users = torch.from_numpy(np.random.randn(config["n_users"], config["embedding_size"])).float()
    items = torch.from_numpy(np.random.randn(config["n_items"], config["embedding_size"])).float()
    return users, items


def build_train_data():
    n, bs = 64, config["train_batch_size"]
    u = torch.randint(0, config["n_users"], (n,))
    i = torch.randint(0, config["n_items"], (n,))
    y = torch.randint(0, 2, (n,)).float()
    return [{"user_id": u[k:k + bs], "item_id": i[k:k + bs], "label": y[k:k + bs]}
            for k in range(0, n, bs)]


model = DummyModel(config, *load_pretrained()).to(device)
trainer = Trainer(config, model)
trainer.fit(build_train_data())
