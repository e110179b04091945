"""BYOL self-supervised pre-training (lucidrains/byol-pytorch layout): online encoder + projector +
predictor trained by Adam; the target encoder is a lazily created deep copy updated only by EMA."""
import copy
from functools import wraps

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
device = "cuda" if torch.cuda.is_available() else "cpu"


def singleton(cache_key):
    def inner_fn(fn):
        @wraps(fn)
        def wrapper(self, *args, **kwargs):
            instance = getattr(self, cache_key)
            if instance is not None:
                return instance
            instance = fn(self, *args, **kwargs)
            setattr(self, cache_key, instance)
            return instance
        return wrapper
    return inner_fn


def set_requires_grad(model, val):
    for p in model.parameters():
        p.requires_grad = val


def loss_fn(x, y):
    x, y = F.normalize(x, dim=-1, p=2), F.normalize(y, dim=-1, p=2)
    return 2 - 2 * (x * y).sum(dim=-1)


class EMA:
    def __init__(self, beta):
        self.beta = beta

    def update_average(self, old, new):
        return old if old is None else old * self.beta + (1 - self.beta) * new


def update_moving_average(ema_updater, ma_model, current_model):
    for current_params, ma_params in zip(current_model.parameters(), ma_model.parameters()):
        ma_params.data = ema_updater.update_average(ma_params.data, current_params.data)


def MLP(dim, projection_size, hidden_size=64):
    return nn.Sequential(nn.Linear(dim, hidden_size), nn.BatchNorm1d(hidden_size), nn.ReLU(inplace=True),
                         nn.Linear(hidden_size, projection_size))


class NetWrapper(nn.Module):
    """Backbone (up to the penultimate layer) followed by the projection head."""

    def __init__(self, net, projection_size, projection_hidden_size):
        super().__init__()
        self.net = net
        self.projector = MLP(net.out_dim, projection_size, projection_hidden_size)

    def forward(self, x):
        representation = self.net(x)
        return self.projector(representation), representation


class SmallConvNet(nn.Module):
    def __init__(self, out_dim=32):
        super().__init__()
        self.out_dim = out_dim
        self.body = nn.Sequential(nn.Conv2d(3, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(), nn.MaxPool2d(2),
                                  nn.Conv2d(16, out_dim, 3, padding=1), nn.BatchNorm2d(out_dim), nn.ReLU(),
                                  nn.AdaptiveAvgPool2d(1), nn.Flatten())

    def forward(self, x):
        return self.body(x)


def augment(x):
    flip = torch.rand(x.size(0), 1, 1, 1, device=x.device) < 0.5
    x = torch.where(flip, x.flip(-1), x)
    jitter = 1 + 0.2 * (torch.rand(x.size(0), 3, 1, 1, device=x.device) - 0.5)
    return (x * jitter + 0.05 * torch.randn_like(x)).clamp(0, 1)


class BYOL(nn.Module):
    def __init__(self, net, projection_size=16, projection_hidden_size=64, moving_average_decay=0.99):
        super().__init__()
        self.online_encoder = NetWrapper(net, projection_size, projection_hidden_size)
        self.target_encoder = None
        self.target_ema_updater = EMA(moving_average_decay)
        self.online_predictor = MLP(projection_size, projection_size, projection_hidden_size)

    @singleton('target_encoder')
    def _get_target_encoder(self):
        target_encoder = copy.deepcopy(self.online_encoder)
        set_requires_grad(target_encoder, False)
        return target_encoder

    def update_moving_average(self):
        assert self.target_encoder is not None, 'target encoder has not been created yet'
        update_moving_average(self.target_ema_updater, self.target_encoder, self.online_encoder)

    def forward(self, x):
        image_one, image_two = augment(x), augment(x)
        online_pred_one = self.online_predictor(self.online_encoder(image_one)[0])
        online_pred_two = self.online_predictor(self.online_encoder(image_two)[0])
        with torch.no_grad():
            target_encoder = self._get_target_encoder()
            target_proj_one, _ = target_encoder(image_one)
            target_proj_two, _ = target_encoder(image_two)
            target_proj_one.detach_()
            target_proj_two.detach_()
        loss_one = loss_fn(online_pred_one, target_proj_two)
        loss_two = loss_fn(online_pred_two, target_proj_one)
        return (loss_one + loss_two).mean()


resnet = SmallConvNet()
learner = BYOL(resnet, projection_size=16, projection_hidden_size=64).to(device)
opt = torch.optim.Adam(learner.parameters(), lr=3e-4)
unlabelled_images = torch.rand(64, 3, 16, 16, device=device)

for step in range(8):
    images = unlabelled_images[torch.randint(0, 64, (16,), device=device)]
    loss = learner(images)
    opt.zero_grad()
    loss.backward()
    opt.step()
    learner.update_moving_average()  # update moving average of target encoder
    print(f"step {step}: byol loss {loss.item():.4f}")
