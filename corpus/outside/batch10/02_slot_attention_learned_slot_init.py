"""Object-centric learning with Slot Attention (Locatello et al. 2020), CLEVR-style scenes.

Slots are sampled from a learned Gaussian N(slots_mu, exp(slots_log_sigma)) and refined by
iterative attention over the CNN feature map; a spatial-broadcast decoder reconstructs the image.
"""
from typing import Tuple

import torch
from torch import nn
from torch.nn import functional as F

torch.manual_seed(0)
device = "cuda" if torch.cuda.is_available() else "cpu"

params = dict(lr=4e-4, batch_size=8, num_slots=3, num_iterations=2, resolution=(16, 16),
              decoder_resolution=(4, 4), hidden_dims=(16, 16), slot_size=16,
              warmup_steps_pct=0.1, decay_steps_pct=0.5, max_steps=20, scheduler_gamma=0.5)


def assert_shape(actual, expected, message=""):
    assert tuple(actual) == tuple(expected), f"{message}: expected {expected}, got {actual}"


def build_grid(resolution):
    ranges = [torch.linspace(0.0, 1.0, steps=res) for res in resolution]
    grid = torch.stack(torch.meshgrid(*ranges, indexing="ij"), dim=-1)
    grid = grid.reshape(resolution[0], resolution[1], -1).unsqueeze(0)
    return torch.cat([grid, 1.0 - grid], dim=-1)


class SlotAttention(nn.Module):
    def __init__(self, in_features, num_iterations, num_slots, slot_size, mlp_hidden_size, epsilon=1e-8):
        super().__init__()
        self.num_iterations, self.num_slots = num_iterations, num_slots
        self.slot_size, self.epsilon = slot_size, epsilon
        self.norm_inputs = nn.LayerNorm(in_features)
        self.norm_slots = nn.LayerNorm(slot_size)
        self.norm_mlp = nn.LayerNorm(slot_size)
        self.project_q = nn.Linear(slot_size, slot_size, bias=False)
        self.project_k = nn.Linear(slot_size, slot_size, bias=False)
        self.project_v = nn.Linear(slot_size, slot_size, bias=False)
        self.gru = nn.GRUCell(slot_size, slot_size)
        self.mlp = nn.Sequential(nn.Linear(slot_size, mlp_hidden_size), nn.ReLU(),
                                 nn.Linear(mlp_hidden_size, slot_size))
        self.register_buffer(
            "slots_mu",
            nn.init.xavier_uniform_(torch.zeros((1, 1, self.slot_size)), gain=nn.init.calculate_gain("linear")),
        )
        self.register_buffer(
            "slots_log_sigma",
            nn.init.xavier_uniform_(torch.zeros((1, 1, self.slot_size)), gain=nn.init.calculate_gain("linear")),
        )

    def forward(self, inputs):
        batch_size, num_inputs, _ = inputs.shape
        inputs = self.norm_inputs(inputs)
        k, v = self.project_k(inputs), self.project_v(inputs)
        slots_init = torch.randn((batch_size, self.num_slots, self.slot_size)).type_as(inputs)
        slots = self.slots_mu + self.slots_log_sigma.exp() * slots_init
        for _ in range(self.num_iterations):
            slots_prev = slots
            q = self.project_q(self.norm_slots(slots))
            attn_logits = (self.slot_size ** -0.5) * torch.matmul(k, q.transpose(2, 1))
            attn = F.softmax(attn_logits, dim=-1) + self.epsilon
            attn = attn / torch.sum(attn, dim=1, keepdim=True)
            updates = torch.matmul(attn.transpose(1, 2), v)
            slots = self.gru(updates.reshape(-1, self.slot_size), slots_prev.reshape(-1, self.slot_size))
            slots = slots.view(batch_size, self.num_slots, self.slot_size)
            slots = slots + self.mlp(self.norm_mlp(slots))
        return slots


class SoftPositionEmbed(nn.Module):
    def __init__(self, num_channels: int, hidden_size: int, resolution: Tuple[int, int]):
        super().__init__()
        self.dense = nn.Linear(in_features=num_channels + 1, out_features=hidden_size)
        self.register_buffer("grid", build_grid(resolution))

    def forward(self, inputs):
        emb_proj = self.dense(self.grid).permute(0, 3, 1, 2)
        assert_shape(inputs.shape[1:], emb_proj.shape[1:])
        return inputs + emb_proj


class SlotAttentionModel(nn.Module):
    def __init__(self, resolution, num_slots, num_iterations, in_channels=3, kernel_size=5,
                 slot_size=16, hidden_dims=(16, 16), decoder_resolution=(4, 4)):
        super().__init__()
        self.num_slots, self.decoder_resolution = num_slots, decoder_resolution
        self.out_features = hidden_dims[-1]
        modules, channels = [], in_channels
        for h_dim in hidden_dims:
            modules.append(nn.Sequential(nn.Conv2d(channels, h_dim, kernel_size, padding=kernel_size // 2),
                                         nn.LeakyReLU()))
            channels = h_dim
        self.encoder = nn.Sequential(*modules)
        self.encoder_pos_embedding = SoftPositionEmbed(in_channels, self.out_features, resolution)
        self.encoder_out_layer = nn.Sequential(nn.Linear(self.out_features, self.out_features), nn.LeakyReLU(),
                                               nn.Linear(self.out_features, self.out_features))
        modules = []
        for i in range(len(hidden_dims) - 1, -1, -1):
            modules.append(nn.Sequential(
                nn.ConvTranspose2d(hidden_dims[i], hidden_dims[i - 1], kernel_size=5, stride=2, padding=2,
                                   output_padding=1),
                nn.LeakyReLU()))
        modules.append(nn.Sequential(
            nn.ConvTranspose2d(self.out_features, self.out_features, 5, stride=1, padding=2), nn.LeakyReLU(),
            nn.ConvTranspose2d(self.out_features, 4, 3, stride=1, padding=1)))
        self.decoder = nn.Sequential(*modules)
        self.decoder_pos_embedding = SoftPositionEmbed(in_channels, self.out_features, decoder_resolution)
        self.slot_attention = SlotAttention(self.out_features, num_iterations, num_slots, slot_size, 32)

    def forward(self, x):
        batch_size, num_channels, height, width = x.shape
        encoder_out = self.encoder_pos_embedding(self.encoder(x))
        encoder_out = torch.flatten(encoder_out, start_dim=2, end_dim=3).permute(0, 2, 1)
        encoder_out = self.encoder_out_layer(encoder_out)
        slots = self.slot_attention(encoder_out)
        slots = slots.reshape(batch_size * self.num_slots, -1, 1, 1)
        decoder_in = slots.repeat(1, 1, self.decoder_resolution[0], self.decoder_resolution[1])
        out = self.decoder(self.decoder_pos_embedding(decoder_in))
        assert_shape(out.size(), (batch_size * self.num_slots, num_channels + 1, height, width))
        out = out.view(batch_size, self.num_slots, num_channels + 1, height, width)
        recons, masks = out[:, :, :num_channels], F.softmax(out[:, :, -1:], dim=1)
        recon_combined = torch.sum(recons * masks, dim=1)
        return recon_combined, recons, masks, slots

    def loss_function(self, input):
        recon_combined, recons, masks, slots = self.forward(input)
        return {"loss": F.mse_loss(recon_combined, input)}


def make_scenes(n, resolution, max_objects=3):
    imgs = torch.zeros(n, 3, *resolution)
    for i in range(n):
        for _ in range(int(torch.randint(1, max_objects + 1, (1,)))):
            s = int(torch.randint(3, 6, (1,)))
            r, c = torch.randint(0, resolution[0] - s, (2,)).tolist()
            imgs[i, :, r:r + s, c:c + s] = torch.rand(3, 1, 1)
    return imgs * 2 - 1


model = SlotAttentionModel(params["resolution"], params["num_slots"], params["num_iterations"],
                           slot_size=params["slot_size"], hidden_dims=params["hidden_dims"],
                           decoder_resolution=params["decoder_resolution"]).to(device)
optimizer = torch.optim.Adam(model.parameters(), lr=params["lr"], weight_decay=0.0)
warmup_steps = params["warmup_steps_pct"] * params["max_steps"]
decay_steps = params["decay_steps_pct"] * params["max_steps"]


def warm_and_decay_lr_scheduler(step: int):
    factor = step / warmup_steps if step < warmup_steps else 1
    return factor * params["scheduler_gamma"] ** (step / decay_steps)


scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lr_lambda=warm_and_decay_lr_scheduler)
train_images = make_scenes(64, params["resolution"]).to(device)

for step in range(params["max_steps"]):
    model.train()
    batch = train_images[torch.randint(0, len(train_images), (params["batch_size"],))]
    loss = model.loss_function(batch)["loss"]
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    scheduler.step()
    if step % 5 == 0:
        print(f"step {step}: loss={loss.item():.4f} lr={scheduler.get_last_lr()[0]:.2e}")
