"""Gated axial-attention segmentation network (MedT / gatedaxialunet style), reduced.

As in MedT's train.py, the four gates of every gated axial-attention layer
start with requires_grad=False so the rest of the network gets a head start;
after a few warm-up epochs every parameter is switched back on.  The optimizer
is built on list(model.parameters()), so it already holds the gates.
"""
import argparse

import torch
import torch.nn as nn
import torch.nn.functional as F

parser = argparse.ArgumentParser(description="MedT")
parser.add_argument("--epochs", default=5, type=int)
parser.add_argument("--batch_size", default=2, type=int)
parser.add_argument("--learning_rate", default=1e-3, type=float)
parser.add_argument("--unfreeze_gates_epoch", default=2, type=int)
parser.add_argument("--imgsize", default=16, type=int)
args = parser.parse_args()
device = torch.device("cuda" if torch.cuda.is_available() else "cpu")


class qkv_transform(nn.Conv1d):
    """Conv1d for qkv_transform"""


class AxialAttention_gated(nn.Module):
    def __init__(self, in_planes, out_planes, groups=2, kernel_size=16, width=False):
        super().__init__()
        self.groups, self.group_planes, self.out_planes = groups, out_planes // groups, out_planes
        self.kernel_size, self.width = kernel_size, width
        self.qkv_transform = qkv_transform(in_planes, out_planes * 2, kernel_size=1, bias=False)
        self.bn_qkv = nn.BatchNorm1d(out_planes * 2)
        self.bn_similarity = nn.BatchNorm2d(groups * 3)
        self.bn_output = nn.BatchNorm1d(out_planes * 2)
        # Priority on encoding
        ## Initial values
        self.f_qr = nn.Parameter(torch.tensor(0.1), requires_grad=False)
        self.f_kr = nn.Parameter(torch.tensor(0.1), requires_grad=False)
        self.f_sve = nn.Parameter(torch.tensor(0.1), requires_grad=False)
        self.f_sv = nn.Parameter(torch.tensor(1.0), requires_grad=False)
        # Position embedding
        self.relative = nn.Parameter(torch.randn(self.group_planes * 2, kernel_size * 2 - 1), requires_grad=True)
        query_index = torch.arange(kernel_size).unsqueeze(0)
        key_index = torch.arange(kernel_size).unsqueeze(1)
        self.register_buffer("flatten_index", (key_index - query_index + kernel_size - 1).view(-1))

    def forward(self, x):
        x = x.permute(0, 2, 1, 3) if self.width else x.permute(0, 3, 1, 2)  # N, W, C, H
        N, W, C, H = x.shape
        x = x.contiguous().view(N * W, C, H)
        qkv = self.bn_qkv(self.qkv_transform(x))
        q, k, v = torch.split(qkv.reshape(N * W, self.groups, self.group_planes * 2, H),
                              [self.group_planes // 2, self.group_planes // 2, self.group_planes], dim=2)
        all_embeddings = torch.index_select(self.relative, 1, self.flatten_index).view(
            self.group_planes * 2, self.kernel_size, self.kernel_size)
        q_embedding, k_embedding, v_embedding = torch.split(
            all_embeddings, [self.group_planes // 2, self.group_planes // 2, self.group_planes], dim=0)
        qr = torch.einsum("bgci,cij->bgij", q, q_embedding) * self.f_qr
        kr = torch.einsum("bgci,cij->bgij", k, k_embedding).transpose(2, 3) * self.f_kr
        qk = torch.einsum("bgci, bgcj->bgij", q, k)
        stacked_similarity = self.bn_similarity(torch.cat([qk, qr, kr], dim=1))
        similarity = F.softmax(stacked_similarity.view(N * W, 3, self.groups, H, H).sum(dim=1), dim=3)
        sv = torch.einsum("bgij,bgcj->bgci", similarity, v) * self.f_sv
        sve = torch.einsum("bgij,cij->bgci", similarity, v_embedding) * self.f_sve
        stacked_output = torch.cat([sv, sve], dim=-1).view(N * W, self.out_planes * 2, H)
        output = self.bn_output(stacked_output).view(N, W, -1, 2, H).sum(dim=-2)
        return output.permute(0, 2, 1, 3) if self.width else output.permute(0, 2, 3, 1)


class AxialBlock_gated(nn.Module):
    def __init__(self, planes, kernel_size):
        super().__init__()
        self.conv_down = nn.Conv2d(planes, planes, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.hight_block = AxialAttention_gated(planes, planes, kernel_size=kernel_size)
        self.width_block = AxialAttention_gated(planes, planes, kernel_size=kernel_size, width=True)
        self.conv_up = nn.Conv2d(planes, planes, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)

    def forward(self, x):
        out = F.relu(self.bn1(self.conv_down(x)))
        out = F.relu(self.width_block(self.hight_block(out)))
        return F.relu(self.bn2(self.conv_up(out)) + x)


class GatedAxialUNet(nn.Module):
    def __init__(self, img_size, imgchan=3, num_classes=2, planes=8):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(imgchan, planes, 3, padding=1, bias=False), nn.BatchNorm2d(planes), nn.ReLU())
        self.layer1 = AxialBlock_gated(planes, kernel_size=img_size)
        self.decoder = nn.Conv2d(planes, planes, 3, padding=1)
        self.adjust = nn.Conv2d(planes, num_classes, 1)

    def forward(self, x):
        x = self.stem(x)
        x = F.relu(self.decoder(self.layer1(x)))
        return self.adjust(x)


class LogNLLLoss(nn.Module):
    def forward(self, y_input, y_target):
        return F.cross_entropy(y_input, y_target)


torch.manual_seed(3000)
model = GatedAxialUNet(img_size=args.imgsize).to(device)
criterion = LogNLLLoss()
optimizer = torch.optim.Adam(list(model.parameters()), lr=args.learning_rate, weight_decay=1e-5)
pytorch_total_params = sum(p.numel() for p in model.parameters() if p.requires_grad)
print("Total_params: {}".format(pytorch_total_params))

X = torch.randn(8, 3, args.imgsize, args.imgsize)
Y = (X.mean(1) > 0).long()
for epoch in range(args.epochs):
    epoch_running_loss = 0
    for i in range(0, len(X), args.batch_size):
        X_batch, y_batch = X[i:i + args.batch_size].to(device), Y[i:i + args.batch_size].to(device)
        output = model(X_batch)
        loss = criterion(output, y_batch)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        epoch_running_loss += loss.item()
    print("epoch [{}/{}], loss:{:.4f}".format(epoch, args.epochs, epoch_running_loss / (len(X) // args.batch_size)))
    if epoch == args.unfreeze_gates_epoch:
        for param in model.parameters():
            param.requires_grad = True
