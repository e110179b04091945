"""Spatial Transformer Network on a (synthetic) cluttered-MNIST-like task.

Port of the kevinzakka/spatial-transformer-network main.py training script to
PyTorch: a localisation network regresses the 6 affine parameters (initialised
to identity), the transformer resamples the input, and a small CNN classifies.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

device = "cuda" if torch.cuda.is_available() else "cpu"

# params
H, W, C = 40, 40, 1
DIMS = (H, W)
NUM_CLASSES = 10
LEARNING_RATE = 1e-3
BATCH_SIZE = 16
NUM_EPOCHS = 3
NUM_SAMPLES = 64


def affine_grid_generator(height, width, theta):
    return F.affine_grid(theta, (theta.shape[0], C, height, width), align_corners=False)


def bilinear_sampler(img, grid):
    return F.grid_sample(img, grid, mode="bilinear", padding_mode="zeros", align_corners=False)


def spatial_transformer_network(input_fmap, theta, out_dims=None):
    B = input_fmap.shape[0]
    theta = theta.view(B, 2, 3)
    out_H, out_W = out_dims if out_dims else input_fmap.shape[2:]
    batch_grids = affine_grid_generator(out_H, out_W, theta)
    return bilinear_sampler(input_fmap, batch_grids)


class STNClassifier(nn.Module):
    def __init__(self):
        super().__init__()
        # localization network
        self.loc_conv = nn.Sequential(nn.Conv2d(C, 8, 5, stride=2), nn.ReLU(), nn.Conv2d(8, 10, 5, stride=2), nn.ReLU())
        self.loc_fc1 = nn.Linear(10 * 7 * 7, 32)
        self.loc_fc2 = nn.Linear(32, 6)
        # identity transform
        nn.init.zeros_(self.loc_fc2.weight)
        with torch.no_grad():
            self.loc_fc2.bias.copy_(torch.tensor([1, 0, 0, 0, 1, 0], dtype=torch.float))
        # convolutional layers
        self.conv1 = nn.Conv2d(C, 16, 3, padding=1)
        self.conv2 = nn.Conv2d(16, 32, 3, padding=1)
        self.fc1 = nn.Linear(32 * 10 * 10, 64)
        self.fc2 = nn.Linear(64, NUM_CLASSES)

    def forward(self, x):
        h_loc = self.loc_conv(x).flatten(1)
        h_fc_loc1 = torch.tanh(self.loc_fc1(h_loc))
        h_fc_loc2 = self.loc_fc2(h_fc_loc1)

        # spatial transformer layer
        h_trans = spatial_transformer_network(x, h_fc_loc2, DIMS)

        # conv layers
        h_conv1 = F.max_pool2d(F.relu(self.conv1(x)), 2)
        h_conv2 = F.max_pool2d(F.relu(self.conv2(h_conv1)), 2)
        h_fc1 = F.relu(self.fc1(h_conv2.flatten(1)))
        return self.fc2(h_fc1), h_trans


def make_cluttered_digits(n, g):
    """Blob 'digits' placed at random positions on a 40x40 canvas with clutter."""
    x = 0.1 * torch.rand(n, C, H, W, generator=g)
    y = torch.randint(0, NUM_CLASSES, (n,), generator=g)
    for i in range(n):
        r, c = torch.randint(0, H - 12, (2,), generator=g).tolist()
        patch = torch.zeros(12, 12)
        patch[:, y[i] % 6: y[i] % 6 + 4] = 1.0
        patch[y[i] // 2: y[i] // 2 + 3, :] = 1.0
        x[i, 0, r:r + 12, c:c + 12] += patch
    return x, y


torch.manual_seed(0)
g = torch.Generator().manual_seed(0)
X_train, y_train = make_cluttered_digits(NUM_SAMPLES, g)

model = STNClassifier().to(device)
optimizer = torch.optim.Adam(model.parameters(), lr=LEARNING_RATE)
scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=2, gamma=0.5)

for epoch in range(NUM_EPOCHS):
    model.train()
    perm = torch.randperm(NUM_SAMPLES)
    for i in range(0, NUM_SAMPLES, BATCH_SIZE):
        idx = perm[i:i + BATCH_SIZE]
        batch_x, batch_y = X_train[idx].to(device), y_train[idx].to(device)
        logits, h_trans = model(batch_x)
        loss = F.cross_entropy(logits, batch_y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    scheduler.step()
    acc = (logits.argmax(1) == batch_y).float().mean().item()
    print(f"Epoch {epoch}: loss {loss.item():.4f} train acc {acc:.3f}")
