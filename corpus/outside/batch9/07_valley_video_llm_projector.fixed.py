"""Valley-style video LLM, stage-2 instruction tuning (reduced).

A frozen CLIP-like vision tower encodes every frame; mm_projector maps the patch
features into the LLM embedding space; patch features are mean-pooled over
frames and spliced in place of <im_patch> tokens, per-frame CLS features replace
<vi_frame> tokens.  LLM + projector are tuned, the vision tower stays frozen.
"""
import math
from types import SimpleNamespace

import torch
import torch.nn as nn
import torch.nn.functional as F

device = "cuda" if torch.cuda.is_available() else "cpu"

training_args = SimpleNamespace(tune_llm=True, tune_mm_mlp_adapter=True, freeze_vision_tower=True,
                                learning_rate=2e-4, weight_decay=0.0, warmup_ratio=0.1, max_steps=8, batch_size=2)
VOCAB, HIDDEN, VIS_DIM, NUM_FRAMES, NUM_PATCHES = 64, 32, 16, 3, 4
SPECIAL = SimpleNamespace(im_patch_token=60, im_start_token=61, im_end_token=62,
                          vi_start_token=63, vi_end_token=59, vi_frame_token=58)


class TinyCLIPVisionTower(nn.Module):
    def __init__(self):
        super().__init__()
        self.config = SPECIAL
        self.patch_embed = nn.Conv2d(3, VIS_DIM, kernel_size=4, stride=4)
        self.cls = nn.Parameter(torch.randn(1, 1, VIS_DIM) * 0.02)
        self.layers = nn.ModuleList([nn.TransformerEncoderLayer(VIS_DIM, 2, 32, batch_first=True) for _ in range(2)])

    def forward(self, images, output_hidden_states=True):
        x = self.patch_embed(images).flatten(2).transpose(1, 2)
        x = torch.cat([self.cls.expand(x.shape[0], -1, -1), x], 1)
        hidden_states = [x]
        for layer in self.layers:
            x = layer(x)
            hidden_states.append(x)
        return SimpleNamespace(hidden_states=hidden_states)


class DecoderLayer(nn.Module):
    def __init__(self):
        super().__init__()
        self.input_layernorm = nn.LayerNorm(HIDDEN)
        self.self_attn = nn.MultiheadAttention(HIDDEN, 4, batch_first=True)
        self.post_attention_layernorm = nn.LayerNorm(HIDDEN)
        self.mlp = nn.Sequential(nn.Linear(HIDDEN, 4 * HIDDEN), nn.SiLU(), nn.Linear(4 * HIDDEN, HIDDEN))

    def forward(self, x, causal_mask):
        h = self.input_layernorm(x)
        x = x + self.self_attn(h, h, h, attn_mask=causal_mask, need_weights=False)[0]
        return x + self.mlp(self.post_attention_layernorm(x))


class ValleyLlamaModel(nn.Module):
    def __init__(self):
        super().__init__()
        self.config = SimpleNamespace(mm_vision_select_layer=-2)
        self.embed_tokens = nn.Embedding(VOCAB, HIDDEN)
        self.layers = nn.ModuleList([DecoderLayer() for _ in range(2)])
        self.norm = nn.LayerNorm(HIDDEN)
        self.vision_tower = TinyCLIPVisionTower()
        self.mm_projector = nn.Linear(VIS_DIM, HIDDEN)
        self.patch_pooling_method = "mean"

    def forward(self, input_ids, images):
        inputs_embeds = self.embed_tokens(input_ids)
        vision_tower = self.vision_tower
        with torch.no_grad():
            image_features = []
            for batch_id in range(len(images)):
                image_forward_outs = vision_tower(images[batch_id], output_hidden_states=True)
                select_hidden_state = image_forward_outs.hidden_states[self.config.mm_vision_select_layer]
                image_features.append(select_hidden_state[:, :])
            image_features = torch.stack(image_features)
        image_features = self.mm_projector(image_features)

        new_input_embeds = []
        for cur_input_ids, cur_input_embeds, cur_image_features in zip(input_ids, inputs_embeds, image_features):
            if self.patch_pooling_method == "mean":
                mean_image_features = torch.mean(cur_image_features[:, 1:, :], dim=0)  # num_patches, hidden
            else:
                mean_image_features = torch.max(cur_image_features[:, 1:, :], dim=0)[0]
            frame_image_features = cur_image_features[:, 0, :]  # frames, hidden
            pos = torch.where(cur_input_ids == vision_tower.config.im_start_token)[0][0]
            cur = torch.cat((cur_input_embeds[:pos + 1], mean_image_features,
                             cur_input_embeds[pos + NUM_PATCHES + 1:]), dim=0)
            vpos = torch.where(cur_input_ids == vision_tower.config.vi_start_token)[0][0]
            cur = torch.cat((cur[:vpos + 1], frame_image_features, cur[vpos + NUM_FRAMES + 1:]), dim=0)
            new_input_embeds.append(cur)
        hidden = torch.stack(new_input_embeds, dim=0)

        L = hidden.shape[1]
        causal_mask = torch.triu(torch.full((L, L), float("-inf"), device=hidden.device), diagonal=1)
        for layer in self.layers:
            hidden = layer(hidden, causal_mask)
        return self.norm(hidden)


class ValleyLlamaForCausalLM(nn.Module):
    def __init__(self):
        super().__init__()
        self.model = ValleyLlamaModel()
        self.lm_head = nn.Linear(HIDDEN, VOCAB, bias=False)

    def forward(self, input_ids, images, labels):
        logits = self.lm_head(self.model(input_ids, images))
        return F.cross_entropy(logits[:, :-1].reshape(-1, VOCAB), labels[:, 1:].reshape(-1), ignore_index=-100)


def build_sample(g):
    prompt = [1, SPECIAL.im_start_token] + [SPECIAL.im_patch_token] * NUM_PATCHES + [SPECIAL.im_end_token]
    prompt += [SPECIAL.vi_start_token] + [SPECIAL.vi_frame_token] * NUM_FRAMES + [SPECIAL.vi_end_token, 5, 6]
    answer = torch.randint(7, 50, (6,), generator=g).tolist()
    ids = torch.tensor(prompt + answer)
    labels = ids.clone()
    labels[:len(prompt)] = -100
    video = torch.randn(NUM_FRAMES, 3, 8, 8, generator=g)
    return ids, labels, video


torch.manual_seed(0)
model = ValleyLlamaForCausalLM().to(device)
if training_args.freeze_vision_tower:
    model.model.vision_tower.requires_grad_(False)
model.requires_grad_(training_args.tune_llm)
model.model.vision_tower.requires_grad_(not training_args.freeze_vision_tower)
if training_args.tune_mm_mlp_adapter:
    for p in model.model.mm_projector.parameters():
        p.requires_grad = True

params = [p for p in model.parameters() if p.requires_grad]
optimizer = torch.optim.AdamW(params, lr=training_args.learning_rate, weight_decay=training_args.weight_decay)
warmup = max(1, int(training_args.warmup_ratio * training_args.max_steps))
scheduler = torch.optim.lr_scheduler.LambdaLR(
    optimizer, lambda s: min((s + 1) / warmup, 0.5 * (1 + math.cos(math.pi * s / training_args.max_steps))))

g = torch.Generator().manual_seed(0)
model.train()
for step in range(training_args.max_steps):
    samples = [build_sample(g) for _ in range(training_args.batch_size)]
    input_ids = torch.stack([s[0] for s in samples]).to(device)
    labels = torch.stack([s[1] for s in samples]).to(device)
    images = torch.stack([s[2] for s in samples]).to(device)
    with torch.autocast(device_type=device, dtype=torch.bfloat16, enabled=torch.cuda.is_available()):
        loss = model(input_ids, images, labels)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(params, 1.0)
    optimizer.step()
    scheduler.step()
    optimizer.zero_grad()
    print(f"step {step} loss {loss.item():.4f} lr {scheduler.get_last_lr()[0]:.2e}")
