"""SSL benchmark recipe: emotion recognition on top of a weighted sum of wav2vec2 layers.

The SSL encoder is loaded through a HuggingFace-style interface and fine-tuned (freeze=False)
together with the learnable layer weights and the downstream pooling/classifier.
"""
from types import SimpleNamespace

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
device = "cuda" if torch.cuda.is_available() else "cpu"

hparams = dict(
    ssl_hub="facebook/wav2vec2-base", freeze_ssl=False, layernorm=False,
    encoder_dim=32, num_layers=3, n_emotions=4, lr=1e-3, lr_ssl=1e-4,
    batch_size=4, n_steps=8, sample_rate=4000,
)


class TinyWav2Vec2(nn.Module):
    """Feature extractor + transformer encoder returning every hidden state (like HF output_hidden_states)."""

    def __init__(self, config):
        super().__init__()
        d = config.hidden_size
        self.feature_extractor = nn.Sequential(
            nn.Conv1d(1, d, 10, stride=5, bias=False), nn.GroupNorm(d, d), nn.GELU(),
            nn.Conv1d(d, d, 3, stride=2, bias=False), nn.GELU(),
            nn.Conv1d(d, d, 3, stride=2, bias=False), nn.GELU())
        self.feature_projection = nn.Sequential(nn.LayerNorm(d), nn.Linear(d, d))
        self.pos_conv_embed = nn.Conv1d(d, d, kernel_size=7, padding=3, groups=4)
        self.layers = nn.ModuleList([
            nn.TransformerEncoderLayer(d, nhead=4, dim_feedforward=2 * d, dropout=0.1, batch_first=True)
            for _ in range(config.num_hidden_layers)])
        self.output_hidden_states = config.output_hidden_states

    def forward(self, wav):
        feats = self.feature_extractor(wav.unsqueeze(1))
        x = self.feature_projection(feats.transpose(1, 2))
        x = x + F.gelu(self.pos_conv_embed(x.transpose(1, 2))).transpose(1, 2)
        hidden_states = [x]
        for layer in self.layers:
            x = layer(x)
            hidden_states.append(x)
        return SimpleNamespace(last_hidden_state=x, hidden_states=tuple(hidden_states))


class HFTransformersInterface(nn.Module):
    """Stand-in for speechbrain's HF interface: builds the model, handles freezing."""

    def __init__(self, source, save_path="", freeze=True):
        super().__init__()
        self.source, self.freeze = source, freeze
        self.config = self.override_config(SimpleNamespace(
            hidden_size=hparams["encoder_dim"], num_hidden_layers=hparams["num_layers"],
            output_hidden_states=False))
        self.model = TinyWav2Vec2(self.config)  # "pretrained" weights
        if self.freeze:
            self.model.eval()
            for param in self.model.parameters():
                param.requires_grad = False
        else:
            self.model.train()

    def override_config(self, config):
        return config


class WeightedSSLModel(HFTransformersInterface):
    def __init__(self, hub, save_path="", layernorm=False, freeze=False):
        super().__init__(source=hub, save_path=save_path, freeze=freeze)
        self.model.eval()
        self.num_layers = self.config.num_hidden_layers + 1
        zero_init = torch.cat([torch.zeros(self.num_layers)])
        self.weights = torch.nn.Parameter(zero_init, requires_grad=True)
        self.layernorm = layernorm

    def forward(self, wav, wav_lens=None):
        feats = self.model(wav)
        hidden_states = torch.stack(feats.hidden_states, dim=0).detach()
        assert self.num_layers == hidden_states.shape[0], "Num layers not equal to num hidden states"
        norm_weights = torch.nn.functional.softmax(self.weights, dim=-1)
        if self.layernorm:
            hidden_states = torch.stack([F.layer_norm(t, (t.shape[-1],)) for t in hidden_states], dim=0)
        return (hidden_states * norm_weights[:, None, None, None]).sum(dim=0)

    def override_config(self, config):
        config.output_hidden_states = True
        return config


class AttentiveStatisticsPooling(nn.Module):
    def __init__(self, channels, attention_channels=16):
        super().__init__()
        self.attention = nn.Sequential(nn.Conv1d(channels, attention_channels, 1), nn.Tanh(),
                                       nn.Conv1d(attention_channels, channels, 1))

    def forward(self, x):  # x: [B, C, T]
        w = torch.softmax(self.attention(x), dim=2)
        mean = (x * w).sum(dim=2)
        std = torch.sqrt(((x - mean.unsqueeze(2)) ** 2 * w).sum(dim=2).clamp(min=1e-5))
        return torch.cat([mean, std], dim=1)


class EmoIdBrain:
    def __init__(self, modules, hparams, device):
        self.modules = nn.ModuleDict(modules).to(device)
        self.hparams, self.device = SimpleNamespace(**hparams), device
        self.init_optimizers()

    def init_optimizers(self):
        downstream = list(self.modules.pooling.parameters()) + list(self.modules.classifier.parameters())
        self.model_optimizer = torch.optim.Adam(downstream + [self.modules.ssl_model.weights], lr=self.hparams.lr)
        self.optimizers = [self.model_optimizer]
        if not self.hparams.freeze_ssl:
            self.ssl_optimizer = torch.optim.Adam(self.modules.ssl_model.model.parameters(), lr=self.hparams.lr_ssl)
            self.optimizers.append(self.ssl_optimizer)

    def compute_forward(self, wavs, lens):
        feats = self.modules.ssl_model(wavs, lens)  # [B, T, C]
        pooled = self.modules.pooling(feats.transpose(1, 2))
        return self.modules.classifier(pooled)

    def compute_objectives(self, logits, emo_ids):
        return F.cross_entropy(logits, emo_ids)

    def fit_batch(self, batch):
        wavs, lens, emo_ids = batch
        logits = self.compute_forward(wavs.to(self.device), lens)
        loss = self.compute_objectives(logits, emo_ids.to(self.device))
        for opt in self.optimizers:
            opt.zero_grad()
        loss.backward()
        for opt in self.optimizers:
            opt.step()
        return loss.detach()


def synthetic_batch(bs, sr, n_classes):
    emo = torch.randint(0, n_classes, (bs,))
    t = torch.arange(sr) / sr
    wavs = torch.stack([torch.sin(2 * torch.pi * (120 + 60 * e) * t) for e in emo.tolist()])
    return wavs + 0.1 * torch.randn_like(wavs), torch.ones(bs), emo


ssl_model = WeightedSSLModel(hparams["ssl_hub"], layernorm=hparams["layernorm"], freeze=hparams["freeze_ssl"])
modules = {
    "ssl_model": ssl_model,
    "pooling": AttentiveStatisticsPooling(hparams["encoder_dim"]),
    "classifier": nn.Linear(2 * hparams["encoder_dim"], hparams["n_emotions"]),
}
brain = EmoIdBrain(modules, hparams, device)
for step in range(hparams["n_steps"]):
    loss = brain.fit_batch(synthetic_batch(hparams["batch_size"], hparams["sample_rate"], hparams["n_emotions"]))
    print(f"step {step}: loss={loss.item():.4f} layer weights={ssl_model.weights.softmax(-1).tolist()}")
