# Report: https://github.com/pytorch/pytorch/issues/140469
# What goes wrong: the learnable synthetic images are created as
# torch.randn(..., requires_grad=True) * 0.01; the product is a non-leaf tensor, so building the
# optimizer over it raises "ValueError: can't optimize a non-leaf Tensor".
import torch
import torch.nn as nn
import torch.nn.functional as F

NUM_CLASSES, IPC, CHANNEL, IM_SIZE = 4, 5, 1, (12, 12)


class ConvNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(CHANNEL, 16, 3, padding=1), nn.ReLU(), nn.AvgPool2d(2),
            nn.Conv2d(16, 16, 3, padding=1), nn.ReLU(), nn.AvgPool2d(2), nn.Flatten(),
        )

    def forward(self, x):
        return self.features(x)


def real_data(n_per_class=64):
    xs, ys = [], []
    for c in range(NUM_CLASSES):
        proto = torch.zeros(CHANNEL, *IM_SIZE)
        proto[:, c * 3:(c + 1) * 3, :] = 1.0
        xs.append(proto + 0.3 * torch.randn(n_per_class, CHANNEL, *IM_SIZE))
        ys.append(torch.full((n_per_class,), c))
    return torch.cat(xs), torch.cat(ys)


def distill(images_real, labels_real, iterations=60, lr_img=1.0):
    # synthetic set, IPC images per class, learned by distribution matching
    image_syn = torch.randn(size=(NUM_CLASSES * IPC, CHANNEL, *IM_SIZE), dtype=torch.float,
                            requires_grad=True) * 0.01
    label_syn = torch.arange(NUM_CLASSES).repeat_interleave(IPC)
    optimizer_img = torch.optim.SGD([image_syn, ], lr=lr_img, momentum=0.5)

    for it in range(iterations):
        net = ConvNet()  # fresh random embedding network every iteration
        for p in net.parameters():
            p.requires_grad_(False)
        loss = torch.tensor(0.0)
        for c in range(NUM_CLASSES):
            emb_real = net(images_real[labels_real == c]).mean(0)
            emb_syn = net(image_syn[label_syn == c]).mean(0)
            loss = loss + F.mse_loss(emb_syn, emb_real, reduction="sum")
        optimizer_img.zero_grad()
        loss.backward()
        optimizer_img.step()
        if it % 20 == 0:
            print(f"iter {it:3d}  matching loss {loss.item():.4f}")
    return image_syn.detach(), label_syn


if __name__ == "__main__":
    torch.manual_seed(0)
    x, y = real_data()
    syn_x, syn_y = distill(x, y)
    print("synthetic set:", tuple(syn_x.shape))
