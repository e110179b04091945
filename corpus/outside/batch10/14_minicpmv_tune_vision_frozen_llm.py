"""MiniCPM-V style fine-tuning: tune the vision encoder (vpm) + resampler, keep the LLM frozen,
gradient checkpointing on (finetune.py: --tune_vision true --tune_llm false --use_lora false)."""
from dataclasses import dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.checkpoint import checkpoint

torch.manual_seed(0)
device = "cuda" if torch.cuda.is_available() else "cpu"


@dataclass
class TrainingArguments:
    tune_vision: bool = True
    tune_llm: bool = False
    use_lora: bool = False
    gradient_checkpointing: bool = True
    learning_rate: float = 1e-4
    weight_decay: float = 0.1
    max_steps: int = 6


class DecoderLayer(nn.Module):
    def __init__(self, d):
        super().__init__()
        self.ln1, self.ln2 = nn.LayerNorm(d), nn.LayerNorm(d)
        self.attn = nn.MultiheadAttention(d, 4, batch_first=True)
        self.mlp = nn.Sequential(nn.Linear(d, 2 * d), nn.SiLU(), nn.Linear(2 * d, d))

    def forward(self, x):
        T = x.size(1)
        mask = torch.triu(torch.ones(T, T, dtype=torch.bool, device=x.device), 1)
        h = self.ln1(x)
        x = x + self.attn(h, h, h, attn_mask=mask, need_weights=False)[0]
        return x + self.mlp(self.ln2(x))


class Qwen2Model(nn.Module):
    def __init__(self, vocab, d, n_layers):
        super().__init__()
        self.embed_tokens = nn.Embedding(vocab, d)
        self.layers = nn.ModuleList([DecoderLayer(d) for _ in range(n_layers)])
        self.norm = nn.LayerNorm(d)
        self.gradient_checkpointing, self._ckpt_kwargs = False, {}

    def forward(self, inputs_embeds):
        h = inputs_embeds
        for layer in self.layers:
            if self.gradient_checkpointing and self.training:
                h = checkpoint(layer, h, **self._ckpt_kwargs)
            else:
                h = layer(h)
        return self.norm(h)


class Qwen2ForCausalLM(nn.Module):
    def __init__(self, vocab=100, d=32, n_layers=2):
        super().__init__()
        self.model = Qwen2Model(vocab, d, n_layers)
        self.lm_head = nn.Linear(d, vocab, bias=False)

    def gradient_checkpointing_enable(self, gradient_checkpointing_kwargs=None):
        self.model.gradient_checkpointing = True
        self.model._ckpt_kwargs = gradient_checkpointing_kwargs or {"use_reentrant": True}

    def forward(self, inputs_embeds, labels=None):
        logits = self.lm_head(self.model(inputs_embeds))
        loss = None
        if labels is not None:
            loss = F.cross_entropy(logits[:, :-1].reshape(-1, logits.size(-1)), labels[:, 1:].reshape(-1),
                                   ignore_index=-100)
        return loss, logits


class SiglipVisionTransformer(nn.Module):
    def __init__(self, d=24, patch=4):
        super().__init__()
        self.patch_embed = nn.Conv2d(3, d, patch, stride=patch)
        self.encoder = nn.TransformerEncoderLayer(d, 4, 2 * d, dropout=0.0, batch_first=True)
        self.post_layernorm = nn.LayerNorm(d)

    def forward(self, pixel_values):
        x = self.patch_embed(pixel_values).flatten(2).transpose(1, 2)
        return self.post_layernorm(self.encoder(x))


class Resampler(nn.Module):
    def __init__(self, num_queries, embed_dim, kv_dim):
        super().__init__()
        self.query = nn.Parameter(torch.randn(num_queries, embed_dim) * 0.02)
        self.kv_proj = nn.Linear(kv_dim, embed_dim, bias=False)
        self.attn = nn.MultiheadAttention(embed_dim, 4, batch_first=True)
        self.ln_q, self.ln_kv, self.ln_post = nn.LayerNorm(embed_dim), nn.LayerNorm(embed_dim), nn.LayerNorm(embed_dim)

    def forward(self, x):
        kv = self.ln_kv(self.kv_proj(x))
        q = self.ln_q(self.query).unsqueeze(0).expand(x.size(0), -1, -1)
        return self.ln_post(self.attn(q, kv, kv, need_weights=False)[0])


class MiniCPMV(nn.Module):
    def __init__(self, query_num=4):
        super().__init__()
        self.llm = Qwen2ForCausalLM()
        self.vpm = SiglipVisionTransformer()
        self.resampler = Resampler(query_num, 32, 24)
        self.query_num = query_num

    def enable_input_require_grads(self):
        def make_inputs_require_grads(module, input, output):
            output.requires_grad_(True)
        self._require_grads_hook = self.llm.model.embed_tokens.register_forward_hook(make_inputs_require_grads)

    def get_vllm_embedding(self, data):
        vision_hidden_states = [self.resampler(self.vpm(pv.unsqueeze(0)))[0] for pv in data["pixel_values"]]
        vllm_embedding = self.llm.model.embed_tokens(data["input_ids"])
        bs = len(data["input_ids"])
        for i in range(bs):
            cur_vs_hs = vision_hidden_states[i]
            if len(cur_vs_hs) > 0:
                cur_vllm_emb = vllm_embedding[i]
                cur_image_bound = data["image_bound"][i]
                if len(cur_image_bound) > 0:
                    image_indices = torch.stack(
                        [torch.arange(r[0], r[1], dtype=torch.long) for r in cur_image_bound]
                    ).to(vllm_embedding.device)
                    cur_vllm_emb.scatter_(
                        0,
                        image_indices.view(-1, 1).repeat(1, cur_vllm_emb.shape[-1]),
                        cur_vs_hs.view(-1, cur_vs_hs.shape[-1]),
                    )
                elif self.training:
                    cur_vllm_emb += cur_vs_hs[0].mean() * 0
        return vllm_embedding, vision_hidden_states

    def forward(self, data):
        vllm_embedding, _ = self.get_vllm_embedding(data)
        return self.llm(inputs_embeds=vllm_embedding, labels=data["labels"])


def make_batch(bs, query_num, im_start=1, im_end=2, unk=3, seq_len=16):
    input_ids = torch.randint(4, 100, (bs, seq_len))
    input_ids[:, 0], input_ids[:, 1], input_ids[:, 2 + query_num] = 0, im_start, im_end
    input_ids[:, 2:2 + query_num] = unk
    labels = input_ids.clone()
    labels[:, :3 + query_num] = -100  # only the answer tokens are supervised
    return {"input_ids": input_ids, "pixel_values": torch.randn(bs, 3, 16, 16), "labels": labels,
            "image_bound": [torch.tensor([[2, 2 + query_num]]) for _ in range(bs)]}


training_args = TrainingArguments()
model = MiniCPMV().to(device)
if not training_args.tune_llm:
    model.llm.requires_grad_(False)
if not training_args.tune_vision:
    model.vpm.requires_grad_(False)
if training_args.gradient_checkpointing:
    model.llm.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": True})
    model.enable_input_require_grads()

trainable = [p for p in model.parameters() if p.requires_grad]
print(f"trainable params: {sum(p.numel() for p in trainable)} / {sum(p.numel() for p in model.parameters())}")
optimizer = torch.optim.AdamW(trainable, lr=training_args.learning_rate, weight_decay=training_args.weight_decay)
model.train()
for step in range(training_args.max_steps):
    batch = {k: (v.to(device) if torch.is_tensor(v) else v) for k, v in make_batch(2, model.query_num).items()}
    loss, _ = model(batch)
    loss.backward()
    grad_norm = torch.nn.utils.clip_grad_norm_(trainable, 1.0)
    optimizer.step()
    optimizer.zero_grad()
    print(f"step {step}: loss={loss.item():.4f} grad_norm={grad_norm.item():.4f}")
