"""Bird-call detector (opensoundscape-style CNN wrapper): train, save, reload, keep training.

Mirrors opensoundscape.torch.models.cnn.PytorchModel / Resnet18Binary with a tiny
feature/classifier network and synthetic mel-spectrogram tiles.
"""
import io

import torch
import torch.nn as nn
import torch.optim as optim


class BCEWithLogitsLoss_hot(nn.BCEWithLogitsLoss):
    def forward(self, input, target):
        return super().forward(input, target.float())


class SmallResNetArchitecture(nn.Module):
    def __init__(self, num_cls):
        super().__init__()
        self.feature = nn.Sequential(
            nn.Conv2d(1, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(8, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(),
            nn.AdaptiveAvgPool2d(1), nn.Flatten(),
        )
        self.classifier = nn.Linear(16, num_cls)

    def forward(self, x):
        return self.classifier(self.feature(x))


class PytorchModel:
    def __init__(self, architecture, classes, single_target=False):
        self.name = "PytorchModel"
        self.current_epoch = 0
        self.classes = classes
        self.single_target = single_target
        self.network = architecture
        self.loss_cls = BCEWithLogitsLoss_hot
        self.opt_net = None  # don't set directly. initialized during training
        self.optimizer_cls = optim.SGD
        self.optimizer_params = {
            "params": self.network.parameters(),
            "lr": 0.01,
            "momentum": 0.9,
            "weight_decay": 0.0005,
        }
        self.lr_update_interval = 10
        self.lr_cooling_factor = 0.7
        self.train_metrics, self.valid_metrics, self.loss_hist = {}, {}, {}
        self.device = torch.device("cuda" if torch.cuda.is_available() else "cpu")

    def _init_optimizer(self):
        param_dict = self.optimizer_params
        param_dict["params"] = self.network.parameters()
        return self.optimizer_cls([param_dict])

    def _set_train(self):
        self.network.to(self.device)
        self.loss_fn = self.loss_cls()
        # If optimizer already exists, keep the same state dict
        # (for instance, user may be resuming training w/saved state dict)
        if self.opt_net is not None:
            optim_state_dict = self.opt_net.state_dict()
            self.opt_net = self._init_optimizer()
            self.opt_net.load_state_dict(optim_state_dict)
        else:
            self.opt_net = self._init_optimizer()
        self.scheduler = optim.lr_scheduler.StepLR(
            self.opt_net, step_size=self.lr_update_interval, gamma=self.lr_cooling_factor,
            last_epoch=self.current_epoch - 1,
        )

    def train_epoch(self, samples, labels, batch_size):
        self.network.train()
        total = 0.0
        for i in range(0, len(samples), batch_size):
            x = samples[i:i + batch_size].to(self.device)
            y = labels[i:i + batch_size].to(self.device)
            logits = self.network(x)
            loss = self.loss_fn(logits, y)
            self.opt_net.zero_grad()
            loss.backward()
            self.opt_net.step()
            total += loss.item()
        self.scheduler.step()
        return total

    def train(self, samples, labels, epochs=1, batch_size=8):
        self._set_train()
        for _ in range(epochs):
            self.loss_hist[self.current_epoch] = self.train_epoch(samples, labels, batch_size)
            print(f"{self.name} epoch {self.current_epoch} loss {self.loss_hist[self.current_epoch]:.4f}")
            self.current_epoch += 1

    def save(self, path, save_weights=True, save_optimizer=True):
        model_dict = {
            "model": self.name, "classes": self.classes, "epoch": self.current_epoch,
            "valid_metrics": self.valid_metrics, "train_metrics": self.train_metrics,
            "loss_hist": self.loss_hist, "lr_update_interval": self.lr_update_interval,
            "lr_cooling_factor": self.lr_cooling_factor,
            "optimizer_params": self.optimizer_params, "single_target": self.single_target,
        }
        if save_weights:
            model_dict.update({"model_state_dict": self.network.state_dict()})
        if save_optimizer:
            if self.opt_net is None:
                self.opt_net = self._init_optimizer()
            model_dict.update({"optimizer_state_dict": self.opt_net.state_dict()})
        torch.save(model_dict, path)

    def load(self, path, load_weights=True, load_optimizer_state_dict=True):
        path.seek(0)
        model_dict = torch.load(path, map_location=self.device, weights_only=False)
        self.current_epoch = model_dict["epoch"]
        self.train_metrics = model_dict["train_metrics"]
        self.valid_metrics = model_dict["valid_metrics"]
        self.loss_hist = model_dict["loss_hist"]
        self.lr_update_interval = model_dict["lr_update_interval"]
        self.lr_cooling_factor = model_dict["lr_cooling_factor"]
        self.optimizer_params = model_dict["optimizer_params"]
        self.single_target = model_dict["single_target"]
        if load_weights and "model_state_dict" in model_dict:
            self.network.load_state_dict(model_dict["model_state_dict"], strict=False)
        # create an optimizer then load the checkpoint state dict
        self.opt_net = self._init_optimizer()
        if load_optimizer_state_dict and "optimizer_state_dict" in model_dict:
            self.opt_net.load_state_dict(model_dict["optimizer_state_dict"])


class Resnet18Binary(PytorchModel):
    def __init__(self, classes):
        super().__init__(SmallResNetArchitecture(num_cls=2), classes, single_target=True)
        self.name = "Resnet18Binary"
        self.optimizer_params = {
            "feature": {"params": self.network.feature.parameters(), "lr": 0.001,
                        "momentum": 0.9, "weight_decay": 0.0005},
            "classifier": {"params": self.network.classifier.parameters(), "lr": 0.01,
                           "momentum": 0.9, "weight_decay": 0.0005},
        }

    def _init_optimizer(self):
        param_dict = self.optimizer_params
        param_dict["feature"]["params"] = self.network.feature.parameters()
        param_dict["classifier"]["params"] = self.network.classifier.parameters()
        return self.optimizer_cls(param_dict.values())

    @classmethod
    def from_checkpoint(cls, path):
        path.seek(0)
        classes = torch.load(path, weights_only=False)["classes"]
        model_obj = cls(classes)
        model_obj.load(path)
        return model_obj


torch.manual_seed(0)
specs = torch.randn(48, 1, 32, 32)
present = (specs[:, :, 8:16].mean(dim=(1, 2, 3)) > 0).long()
labels = torch.stack([1 - present, present], dim=1)

model = Resnet18Binary(classes=["absent", "present"])
model.train(specs, labels, epochs=2, batch_size=8)

checkpoint_file = io.BytesIO()  # stands in for ./binary_train/epoch-2.model
model.save(checkpoint_file)

# later session: resume training from the saved checkpoint with more data
resumed_model = Resnet18Binary.from_checkpoint(checkpoint_file)
more_specs = torch.randn(32, 1, 32, 32)
more_present = (more_specs[:, :, 8:16].mean(dim=(1, 2, 3)) > 0).long()
resumed_model.train(more_specs, torch.stack([1 - more_present, more_present], dim=1), epochs=2, batch_size=8)
