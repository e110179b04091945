# Report: https://github.com/huggingface/transformers/issues/95
# "Not updating the BERT embeddings during the fine tuning process": setting
# `bert.embeddings.requires_grad = False` on a *module* only creates a plain Python attribute;
# it does not propagate to the module's parameters. Here the same mistake is made in the
# other direction: the whole encoder is frozen parameter by parameter, then the user "unfreezes"
# the embeddings with `model.bert.embeddings.requires_grad = True`, which does nothing, so the
# embeddings stay frozen during fine-tuning.
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
device = "cuda" if torch.cuda.is_available() else "cpu"

args = {"vocab_size": 80, "hidden": 24, "layers": 2, "heads": 4, "num_labels": 2,
        "max_len": 12, "lr": 5e-3, "epochs": 3, "batch": 8}


class BertEmbeddings(nn.Module):
    def __init__(self, a):
        super().__init__()
        self.word_embeddings = nn.Embedding(a["vocab_size"], a["hidden"])
        self.position_embeddings = nn.Embedding(a["max_len"], a["hidden"])
        self.LayerNorm = nn.LayerNorm(a["hidden"])

    def forward(self, ids):
        pos = torch.arange(ids.size(1), device=ids.device)
        return self.LayerNorm(self.word_embeddings(ids) + self.position_embeddings(pos))


class BertModel(nn.Module):
    def __init__(self, a):
        super().__init__()
        self.embeddings = BertEmbeddings(a)
        layer = nn.TransformerEncoderLayer(a["hidden"], a["heads"], 2 * a["hidden"], 0.0, batch_first=True)
        self.encoder = nn.TransformerEncoder(layer, a["layers"], enable_nested_tensor=False)

    def forward(self, ids):
        return self.encoder(self.embeddings(ids))


class BertForSequenceClassification(nn.Module):
    def __init__(self, a):
        super().__init__()
        self.bert = BertModel(a)
        self.classifier = nn.Linear(a["hidden"], a["num_labels"])

    def forward(self, ids):
        return self.classifier(self.bert(ids)[:, 0])


model = BertForSequenceClassification(args).to(device)
# stage 1: freeze the whole pre-trained encoder ...
for p in model.bert.parameters():
    p.requires_grad = False
# ... but fine-tune the embeddings together with the classifier
model.bert.embeddings.requires_grad_(True)

optimizer = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=args["lr"])
ids = torch.randint(1, args["vocab_size"], (32, args["max_len"]), device=device)
labels = (ids[:, 1] > args["vocab_size"] // 2).long()
for epoch in range(args["epochs"]):
    for i in range(0, 32, args["batch"]):
        loss = F.cross_entropy(model(ids[i:i + args["batch"]]), labels[i:i + args["batch"]])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    print(epoch, loss.item())
