"""Monocular depth regression with a small encoder/decoder and a Trainer class.

Synthetic scenes: a tilted ground plane plus a box; the network predicts disparity,
trained with an L1 + edge-aware smoothness loss.
"""
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class DepthEncoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.enc1 = nn.Sequential(nn.Conv2d(3, 16, 3, 2, 1), nn.ELU())
        self.enc2 = nn.Sequential(nn.Conv2d(16, 32, 3, 2, 1), nn.ELU())

    def forward(self, x):
        f1 = self.enc1(x)
        return [f1, self.enc2(f1)]


class DepthDecoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.up2 = nn.Sequential(nn.Conv2d(32, 16, 3, 1, 1), nn.ELU())
        self.up1 = nn.Sequential(nn.Conv2d(32, 16, 3, 1, 1), nn.ELU())
        self.dispconv = nn.Conv2d(16, 1, 3, 1, 1)

    def forward(self, feats):
        x = F.interpolate(self.up2(feats[1]), scale_factor=2, mode="nearest")
        x = self.up1(torch.cat([x, feats[0]], 1))
        x = F.interpolate(x, scale_factor=2, mode="nearest")
        return {("disp", 0): torch.sigmoid(self.dispconv(x))}


def render_scene(n, size=32):
    yy, xx = torch.meshgrid(torch.linspace(0, 1, size), torch.linspace(0, 1, size), indexing="ij")
    disp = (0.2 + 0.6 * yy).expand(n, 1, size, size).clone()
    colour = torch.rand(n, 3, 1, 1)
    img = colour * disp + 0.05 * torch.randn(n, 3, size, size)
    for i in range(n):
        x0, y0 = torch.randint(4, size - 12, (2,)).tolist()
        disp[i, :, y0:y0 + 8, x0:x0 + 8] = 0.9
        img[i, :, y0:y0 + 8, x0:x0 + 8] = torch.rand(3, 1, 1)
    return {"color": img, "depth_gt": disp}


class Trainer:
    def __init__(self, lr=1e-3, batch_size=8):
        self.models = {"encoder": DepthEncoder(), "depth": DepthDecoder()}
        self.parameters_to_train = []
        for m in self.models.values():
            self.parameters_to_train += list(m.parameters())
        self.model_optimizer = torch.optim.Adam(self.parameters_to_train, lr)
        self.batch_size = batch_size
        self.step = 0

    def set_train(self):
        for m in self.models.values():
            m.train()

    def set_eval(self):
        for m in self.models.values():
            m.eval()

    def process_batch(self, inputs):
        features = self.models["encoder"](inputs["color"])
        outputs = self.models["depth"](features)
        losses = self.compute_losses(inputs, outputs)
        return outputs, losses

    def compute_losses(self, inputs, outputs):
        disp = outputs[("disp", 0)]
        l1 = (disp - inputs["depth_gt"]).abs().mean()
        mean_disp = disp.mean(2, True).mean(3, True)
        norm_disp = disp / (mean_disp + 1e-7)
        grad_x = (norm_disp[..., :, :-1] - norm_disp[..., :, 1:]).abs()
        grad_img_x = (inputs["color"][..., :, :-1] - inputs["color"][..., :, 1:]).abs().mean(1, True)
        smooth = (grad_x * torch.exp(-grad_img_x)).mean()
        return {"loss": l1 + 1e-3 * smooth, "l1": l1}

    def run_epoch(self, n_batches=8):
        self.set_train()
        start = time.time()
        for _ in range(n_batches):
            inputs = render_scene(self.batch_size)
            outputs, losses = self.process_batch(inputs)
            self.model_optimizer.zero_grad()
            losses["loss"].backward()
            self.model_optimizer.step()
            self.step += 1
        return losses["loss"].item(), time.time() - start

    def val(self):
        self.set_eval()
        with torch.no_grad():
            _, losses = self.process_batch(render_scene(16))
        self.set_train()
        return losses["l1"].item()


if __name__ == "__main__":
    torch.manual_seed(0)
    trainer = Trainer()
    for epoch in range(3):
        loss, dt = trainer.run_epoch()
        print(f"epoch {epoch} train loss {loss:.4f} val l1 {trainer.val():.4f} ({dt:.2f}s)")
