# A small Vision Transformer with a CLS token and learned register tokens classifies synthetic
# images of varying height: each image is cut into 4x4 patches, the batch is padded to the
# tallest image and a patch mask (1 = a real patch) tells the encoder which positions to skip.
# The CLS output is classified; the whole model trains from scratch with Adam.
import torch
from torch import nn

torch.manual_seed(0)
PATCH, WIDTH, MAX_ROWS, DIM, REGISTERS = 4, 16, 4, 48, 4


class RegisterViT(nn.Module):
    def __init__(self):
        super().__init__()
        self.patchify = nn.Linear(PATCH * PATCH, DIM)
        self.pos = nn.Parameter(torch.randn(MAX_ROWS * WIDTH // PATCH, DIM) * 0.02)
        self.cls_token = nn.Parameter(torch.zeros(1, DIM))
        self.registers = nn.Parameter(torch.randn(REGISTERS, DIM) * 0.02)
        layer = nn.TransformerEncoderLayer(DIM, 4, 96, dropout=0.0, batch_first=True, norm_first=True)
        self.encoder = nn.TransformerEncoder(layer, 2, enable_nested_tensor=False)
        self.head = nn.Linear(DIM, 2)

    def forward(self, images, patch_mask):
        b = images.size(0)
        patches = images.unfold(1, PATCH, PATCH).unfold(2, PATCH, PATCH).reshape(b, -1, PATCH * PATCH)
        x = self.patchify(patches) + self.pos
        x = torch.cat([self.cls_token.expand(b, -1, -1), self.registers.expand(b, -1, -1), x], dim=1)
        mask = torch.cat([
            torch.ones(b, 1, dtype=torch.long),
            torch.full((b, self.registers.size(0)), 1),
            patch_mask.long(),
        ], dim=1)
        h = self.encoder(x, src_key_padding_mask=mask == 0)
        return self.head(h[:, 0])


def make_batch(n):
    rows = torch.randint(2, MAX_ROWS + 1, (n,))
    images = torch.rand(n, MAX_ROWS * PATCH, WIDTH) * 0.3
    labels = torch.randint(0, 2, (n,))
    images[labels == 1, :PATCH, :PATCH] += 1.0
    valid_rows = torch.arange(MAX_ROWS * PATCH)[None] < (rows * PATCH)[:, None]
    images = images * valid_rows[:, :, None]
    patch_mask = (torch.arange(MAX_ROWS)[None] < rows[:, None]).repeat_interleave(WIDTH // PATCH, dim=1)
    return images, patch_mask, labels


model = RegisterViT()
optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
for step in range(50):
    images, patch_mask, labels = make_batch(32)
    loss = nn.functional.cross_entropy(model(images, patch_mask), labels)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
print(f"loss {loss.item():.4f}")
