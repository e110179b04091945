# Report: https://github.com/BaderLab/saber/issues/105
# "Argument `fine_tune_word_embeddings` has no effect when transfer learning": the flag is
# applied only when a new model is built; when a pre-trained model is loaded for transfer
# learning, its word-embedding layer keeps the frozen setting it was saved with, so the
# embeddings never change although the config asks to fine-tune them.
import copy

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)

CONFIG = {"fine_tune_word_embeddings": True, "word_embed_dim": 12, "vocab": 60,
          "hidden": 16, "n_tags": 5, "epochs": 3, "lr": 1e-2}


class BiLSTMCRFLite(nn.Module):
    def __init__(self, cfg, n_tags):
        super().__init__()
        self.word_embed = nn.Embedding(cfg["vocab"], cfg["word_embed_dim"])
        self.lstm = nn.LSTM(cfg["word_embed_dim"], cfg["hidden"], batch_first=True, bidirectional=True)
        self.out = nn.Linear(2 * cfg["hidden"], n_tags)

    def forward(self, x):
        h, _ = self.lstm(self.word_embed(x))
        return self.out(h)


class SequenceProcessor:
    def __init__(self, config):
        self.config = config
        self.model = None

    def create_model(self, n_tags):
        model = BiLSTMCRFLite(self.config, n_tags)
        model.word_embed.weight.requires_grad = self.config["fine_tune_word_embeddings"]
        self.model = model

    def load(self, saved_model, n_tags):
        """Transfer learning: reuse a saved model and replace its output layer."""
        model = copy.deepcopy(saved_model)
        model.out = nn.Linear(model.out.in_features, n_tags)
        model.word_embed.weight.requires_grad = self.config["fine_tune_word_embeddings"]
        self.model = model

    def fit(self, x, y):
        params = [p for p in self.model.parameters() if p.requires_grad]
        opt = torch.optim.Adam(params, lr=self.config["lr"])
        for epoch in range(self.config["epochs"]):
            loss = F.cross_entropy(self.model(x).reshape(-1, self.model.out.out_features), y.reshape(-1))
            opt.zero_grad()
            loss.backward()
            opt.step()
            print(epoch, loss.item())


# a source model that was trained (and saved) with frozen pre-trained embeddings
source_cfg = dict(CONFIG, fine_tune_word_embeddings=False)
source = SequenceProcessor(source_cfg)
source.create_model(n_tags=3)
saved_model = source.model

# transfer to the target dataset with fine_tune_word_embeddings=True
sp = SequenceProcessor(CONFIG)
sp.load(saved_model, n_tags=CONFIG["n_tags"])
x = torch.randint(0, CONFIG["vocab"], (8, 10))
y = torch.randint(0, CONFIG["n_tags"], (8, 10))
sp.fit(x, y)
