"""A ViT-style classifier that builds its own optimizer, Lightning style: embeddings and norms
without weight decay."""
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)


class PatchClassifier(nn.Module):
    def __init__(self, patch=4, dim=32, classes=5, lr=1e-3, weight_decay=0.05):
        super().__init__()
        self.hparams = {"lr": lr, "weight_decay": weight_decay}
        self.patch = nn.Conv2d(3, dim, patch, stride=patch)
        self.cls = nn.Parameter(torch.zeros(1, 1, dim))
        layer = nn.TransformerEncoderLayer(dim, 4, 2 * dim, dropout=0.0, batch_first=True)
        self.encoder = nn.TransformerEncoder(layer, 2, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(dim)
        self.head = nn.Linear(dim, classes)

    def forward(self, images):
        tokens = self.patch(images).flatten(2).transpose(1, 2)
        tokens = torch.cat([self.cls.expand(len(tokens), -1, -1), tokens], dim=1)
        return self.head(self.norm(self.encoder(tokens))[:, 0])

    def param_groups(self):
        decay, no_decay = [], []
        for module in self.modules():
            for p in module.parameters():
                if isinstance(module, (nn.LayerNorm, nn.Embedding)):
                    no_decay.append(p)
                else:
                    decay.append(p)
        return [
            {"params": decay, "weight_decay": self.hparams["weight_decay"]},
            {"params": no_decay, "weight_decay": 0.0},
        ]

    def configure_optimizers(self):
        return torch.optim.AdamW(self.param_groups(), lr=self.hparams["lr"])

    def training_step(self, batch):
        images, labels = batch
        return F.cross_entropy(self(images), labels)


model = PatchClassifier()
optimizer = model.configure_optimizers()
images = torch.randn(10, 3, 16, 16)
labels = torch.randint(0, 5, (10,))
for step in range(4):
    loss = model.training_step((images, labels))
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    print(step, loss.item())
