"""ConVIRT-style contrastive pre-training of paired medical images and report texts:
a CNN image encoder and a small transformer text encoder, each followed by a projection
MLP, trained with the symmetric NT-Xent loss (synthetic paired data)."""
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
device = "cuda" if torch.cuda.is_available() else "cpu"

VOCAB, SEQ, HID, OUT_DIM, N_CONCEPTS = 100, 12, 32, 16, 8


class TinyBert(nn.Module):
    def __init__(self):
        super().__init__()
        self.embeddings = nn.Embedding(VOCAB, HID)
        self.encoder = nn.TransformerEncoder(
            nn.TransformerEncoderLayer(HID, 4, 64, dropout=0.0, batch_first=True), num_layers=1)

    def forward(self, input_ids, attention_mask):
        return (self.encoder(self.embeddings(input_ids), src_key_padding_mask=~attention_mask.bool()),)


class ModelCLR(nn.Module):
    def __init__(self):
        super().__init__()
        self.bert_model = TinyBert()
        self.bert_l1 = nn.Linear(HID, HID)
        self.bert_l2 = nn.Linear(HID, OUT_DIM)
        self.res_features = nn.Sequential(nn.Conv2d(1, 16, 3, 2, 1), nn.BatchNorm2d(16), nn.ReLU(),
                                          nn.Conv2d(16, 32, 3, 2, 1), nn.BatchNorm2d(32), nn.ReLU(),
                                          nn.AdaptiveAvgPool2d(1))
        self.res_l1 = nn.Linear(32, 32)
        self.res_l2 = nn.Linear(32, OUT_DIM)

    def mean_pooling(self, model_output, attention_mask):
        token_embeddings = model_output[0]
        mask = attention_mask.unsqueeze(-1).float()
        return (token_embeddings * mask).sum(1) / mask.sum(1).clamp(min=1e-9)

    def image_encoder(self, xis):
        h = self.res_features(xis).flatten(1)
        return h, self.res_l2(F.relu(self.res_l1(h)))

    def text_encoder(self, encoded_inputs):
        outputs = self.bert_model(**encoded_inputs)
        sentence_embeddings = self.mean_pooling(outputs, encoded_inputs["attention_mask"])
        x = self.bert_l1(sentence_embeddings)
        x = F.relu(x)
        out_emb = self.bert_l2(x)
        return out_emb

    def forward(self, xis, encoded_inputs):
        _, zis = self.image_encoder(xis)
        zls = self.text_encoder(encoded_inputs)
        return zis, zls


def nt_xent(zis, zls, temperature=0.1, alpha=0.75):
    zis, zls = F.normalize(zis, dim=1), F.normalize(zls, dim=1)
    logits = zis @ zls.t() / temperature
    targets = torch.arange(len(zis), device=zis.device)
    return alpha * F.cross_entropy(logits, targets) + (1 - alpha) * F.cross_entropy(logits.t(), targets)


def paired_batch(n=16):
    concept = torch.randint(0, N_CONCEPTS, (n,))
    imgs = 0.3 * torch.randn(n, 1, 16, 16)
    for i in range(n):
        r, c = divmod(int(concept[i]), 4)
        imgs[i, 0, r * 8:(r + 1) * 8, c * 4:(c + 1) * 4] += 1.0
    ids = torch.randint(N_CONCEPTS + 1, VOCAB, (n, SEQ))
    ids[:, 0] = concept + 1
    lengths = torch.randint(5, SEQ + 1, (n,))
    attention_mask = (torch.arange(SEQ)[None] < lengths[:, None]).long()
    return imgs.to(device), {"input_ids": ids.to(device), "attention_mask": attention_mask.to(device)}


model = ModelCLR().to(device)
optimizer = torch.optim.Adam(model.parameters(), lr=3e-4, weight_decay=1e-6)
scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=40)
for step in range(40):
    xis, xls = paired_batch()
    zis, zls = model(xis, xls)
    loss = nt_xent(zis, zls)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    scheduler.step()
    if step % 10 == 0:
        print(f"step {step:3d}  nt-xent {loss.item():.4f}")
