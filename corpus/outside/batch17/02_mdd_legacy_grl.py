# Report: https://github.com/thuml/MDD/issues/6
# The gradient reversal layer of this domain-adaptation model is an old-style autograd.Function
# (state in __init__, non-static forward/backward, called as an instance). Current PyTorch refuses
# such functions: the first forward raises "Legacy autograd function with non-static forward
# method is deprecated", so nothing ever trains.
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
np.random.seed(0)
device = "cuda" if torch.cuda.is_available() else "cpu"


class GradientReverseLayer(torch.autograd.Function):
    def __init__(self, iter_num=0, alpha=1.0, low_value=0.0, high_value=0.1, max_iter=1000.0):
        self.iter_num = iter_num
        self.alpha = alpha
        self.low_value = low_value
        self.high_value = high_value
        self.max_iter = max_iter

    def forward(self, input):
        self.iter_num += 1
        output = input * 1.0
        return output

    def backward(self, grad_output):
        self.coeff = float(2.0 * (self.high_value - self.low_value) / (1.0 + np.exp(-self.alpha * self.iter_num / self.max_iter))
                           - (self.high_value - self.low_value) + self.low_value)
        return -self.coeff * grad_output


class MDDNet(nn.Module):
    def __init__(self, in_dim=64, bottleneck_dim=32, width=64, class_num=5):
        super().__init__()
        self.base_network = nn.Sequential(nn.Linear(in_dim, 128), nn.ReLU(), nn.Linear(128, 64), nn.ReLU())
        self.bottleneck_layer = nn.Sequential(nn.Linear(64, bottleneck_dim), nn.BatchNorm1d(bottleneck_dim), nn.ReLU(), nn.Dropout(0.5))
        self.classifier_layer = nn.Sequential(nn.Linear(bottleneck_dim, width), nn.ReLU(), nn.Dropout(0.5), nn.Linear(width, class_num))
        self.classifier_layer_2 = nn.Sequential(nn.Linear(bottleneck_dim, width), nn.ReLU(), nn.Dropout(0.5), nn.Linear(width, class_num))
        self.grl_layer = GradientReverseLayer()
        self.softmax = nn.Softmax(dim=1)

    def forward(self, inputs):
        features = self.base_network(inputs)
        features = self.bottleneck_layer(features)
        features_adv = self.grl_layer(features)
        outputs_adv = self.classifier_layer_2(features_adv)
        outputs = self.classifier_layer(features)
        softmax_outputs = self.softmax(outputs)
        return features, outputs, softmax_outputs, outputs_adv


class MDD(object):
    def __init__(self, class_num=5, srcweight=4.0):
        self.c_net = MDDNet(class_num=class_num).to(device)
        self.class_num = class_num
        self.srcweight = srcweight

    def get_loss(self, inputs, labels_source):
        _, outputs, _, outputs_adv = self.c_net(inputs)
        n_src = labels_source.size(0)
        classifier_loss = F.cross_entropy(outputs[:n_src], labels_source)
        target_adv = outputs.max(1)[1]
        target_adv_src, target_adv_tgt = target_adv[:n_src], target_adv[n_src:]
        classifier_loss_adv_src = F.cross_entropy(outputs_adv[:n_src], target_adv_src)
        logloss_tgt = torch.log(torch.clamp(1 - F.softmax(outputs_adv[n_src:], dim=1), min=1e-15))
        classifier_loss_adv_tgt = F.nll_loss(logloss_tgt, target_adv_tgt)
        transfer_loss = self.srcweight * classifier_loss_adv_src + classifier_loss_adv_tgt
        return classifier_loss + transfer_loss


config = {"lr": 0.004, "momentum": 0.9, "weight_decay": 5e-4, "num_iterations": 40, "batch_size": 16, "class_num": 5}

model_instance = MDD(class_num=config["class_num"])
optimizer = torch.optim.SGD(model_instance.c_net.parameters(), lr=config["lr"], momentum=config["momentum"],
                            weight_decay=config["weight_decay"], nesterov=True)

proto = torch.randn(config["class_num"], 64)
for it in range(config["num_iterations"]):
    ys = torch.randint(0, config["class_num"], (config["batch_size"],))
    xs = proto[ys] + 0.5 * torch.randn(config["batch_size"], 64)
    xt = proto[torch.randint(0, config["class_num"], (config["batch_size"],))] + 0.5 * torch.randn(config["batch_size"], 64) + 0.3
    inputs = torch.cat((xs, xt), dim=0).to(device)
    model_instance.c_net.train()
    optimizer.zero_grad()
    total_loss = model_instance.get_loss(inputs, ys.to(device))
    total_loss.backward()
    optimizer.step()
    if it % 10 == 0:
        print(f"iter {it}: loss {total_loss.item():.4f}")
